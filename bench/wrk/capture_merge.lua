-- capture_merge: POST /api/v1/capture/ with the e-mail of a contact made during set-up, so every
-- request merges into that contact's open lead (a form interaction, no new contact). Expects 200.
-- Arguments: form key, number of set-up contacts (their e-mails are merge-<i>@bench.example.com).
dofile("bench/wrk/common.lua")
expected_status = 200

local form_key, count, counter

function init(args)
   form_key, count, counter = args[1], tonumber(args[2]), 0
end

function request()
   counter = counter + 1
   -- Threads start at different contacts, then each walks the whole list.
   local index = ((id - 1) * 97 + counter) % count
   local body = string.format(
      '{"first_name": "Bench", "last_name": "Merge", "email": "merge-%d@bench.example.com", ' ..
      '"message": "Benchmark inquiry, again", "consent": true}', index)
   return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Form-Key"] = form_key}, body)
end
