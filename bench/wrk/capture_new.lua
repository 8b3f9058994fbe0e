-- capture_new: POST /api/v1/capture/ with an e-mail never seen before, so every request creates
-- a contact, a lead, its first stage and a form interaction. Expects 201.
-- Arguments: form key, run prefix, and optionally "idempotency" (capture_new_idempotent): then
-- every request also sends an Idempotency-Key header of its own, as a real form does once per
-- submission, so the capture also records the key and its answer. The e-mail (and the key) is
-- prefix + thread number + a per-thread counter, so no two requests share one, across threads,
-- the warm-up and the measured run.
dofile("bench/wrk/common.lua")
expected_status = 201

local form_key, prefix, idempotency, counter

function init(args)
   form_key, prefix, idempotency, counter = args[1], args[2], args[3] == "idempotency", 0
end

function request()
   counter = counter + 1
   local email = string.format("new-%s-t%d-%d@bench.example.com", prefix, id, counter)
   local body = string.format(
      '{"first_name": "Bench", "last_name": "New %d", "email": "%s", ' ..
      '"message": "Benchmark inquiry", "utm_source": "bench", "consent": true}', counter, email)
   local headers = {["Content-Type"] = "application/json", ["X-Form-Key"] = form_key}
   if idempotency then
      headers["Idempotency-Key"] = string.format("key-%s-t%d-%d", prefix, id, counter)
   end
   return wrk.format("POST", nil, headers, body)
end
