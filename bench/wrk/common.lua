-- Shared by every bench script (loaded with dofile, paths are relative to the repository root).
--
-- wrk alone only counts statuses >= 400 and says nothing about a 200 where a 201 was due, so each
-- script names the one status it expects (expected_status) and every other answer is counted
-- here, with the first odd body kept as a sample for the report. done() prints one line,
-- "BENCH_RESULT {json}", that bench/__main__.py parses: requests, rps, latency percentiles in
-- microseconds, wrk's socket errors and the unexpected statuses.

expected_status = 200
unexpected = 0
statuses = {}
sample = ""

local threads = {}

function setup(thread)
   -- Runs in the main Lua state once per thread: number the threads so their requests differ.
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function response(status, headers, body)
   if status ~= expected_status then
      unexpected = unexpected + 1
      local key = tostring(status)
      statuses[key] = (statuses[key] or 0) + 1
      if sample == "" and body then
         sample = string.sub(body, 1, 300)
      end
   end
end

local function json_string(s)
   return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
   local total_unexpected, all_statuses, first_sample = 0, {}, ""
   for _, thread in ipairs(threads) do
      total_unexpected = total_unexpected + (thread:get("unexpected") or 0)
      for code, count in pairs(thread:get("statuses") or {}) do
         all_statuses[code] = (all_statuses[code] or 0) + count
      end
      local s = thread:get("sample") or ""
      if first_sample == "" then first_sample = s end
   end
   local parts = {}
   for code, count in pairs(all_statuses) do
      table.insert(parts, string.format('"%s": %d', code, count))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "rps": %.3f, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"unexpected": %d, "statuses": {%s}, "sample": %s}\n',
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      e.connect, e.read, e.write, e.timeout,
      total_unexpected, table.concat(parts, ", "), json_string(first_sample)))
end
