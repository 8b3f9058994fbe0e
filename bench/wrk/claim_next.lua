-- claim_next: POST /api/v1/queue/claim/ by 16 salespeople at once (tokens rotate per request), each
-- claim taking the top of the pool with SELECT … FOR UPDATE SKIP LOCKED. Expects 200 (the pool is
-- far larger than the claims a run makes). Argument: path of a file with one token a line.
dofile("bench/wrk/common.lua")
expected_status = 200

local tokens, counter

function init(args)
   tokens = {}
   for line in io.lines(args[1]) do
      table.insert(tokens, line)
   end
   counter = 0
end

function request()
   counter = counter + 1
   local token = tokens[((id - 1) * 7 + counter) % #tokens + 1]
   return wrk.format("POST", "/api/v1/queue/claim/", {["Authorization"] = "Token " .. token})
end
