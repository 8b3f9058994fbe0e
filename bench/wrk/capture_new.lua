-- capture_new: POST /api/v1/capture/ with an e-mail never seen before, so every request creates
-- a contact, a lead, its first stage and a form interaction. Expects 201.
-- Arguments: form key, run prefix. The e-mail is prefix + thread number + a per-thread counter,
-- so no two requests share one, across threads, the warm-up and the measured run.
dofile("bench/wrk/common.lua")
expected_status = 201

local form_key, prefix, counter

function init(args)
   form_key, prefix, counter = args[1], args[2], 0
end

function request()
   counter = counter + 1
   local email = string.format("new-%s-t%d-%d@bench.example.com", prefix, id, counter)
   local body = string.format(
      '{"first_name": "Bench", "last_name": "New %d", "email": "%s", ' ..
      '"message": "Benchmark inquiry", "utm_source": "bench", "consent": true}', counter, email)
   return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Form-Key"] = form_key}, body)
end
