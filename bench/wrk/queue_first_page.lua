-- queue_first_page: GET /api/v1/queue/ as a salesperson with some leads of their own, over a pool
-- of hundreds of thousands of sales-ready leads. Expects 200. Argument: API token.
dofile("bench/wrk/common.lua")
expected_status = 200

local headers

function init(args)
   headers = {["Authorization"] = "Token " .. args[1]}
end

function request()
   return wrk.format("GET", "/api/v1/queue/", headers)
end
