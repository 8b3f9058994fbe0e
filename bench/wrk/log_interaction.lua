-- log_interaction: POST /api/v1/leads/{id}/interactions/ {"kind": "email_open"} as a CSR with a
-- token, cycling over the leads made during set-up (the score is recomputed each time). Expects 201.
-- Arguments: API token, path of a file with one lead id a line.
dofile("bench/wrk/common.lua")
expected_status = 201

local headers, ids, counter

function init(args)
   headers = {["Content-Type"] = "application/json", ["Authorization"] = "Token " .. args[1]}
   ids = {}
   for line in io.lines(args[2]) do
      table.insert(ids, tonumber(line))
   end
   counter = 0
end

function request()
   counter = counter + 1
   local lead = ids[((id - 1) * 97 + counter) % #ids + 1]
   return wrk.format("POST", string.format("/api/v1/leads/%d/interactions/", lead), headers,
      '{"kind": "email_open"}')
end
