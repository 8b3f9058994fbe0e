-- get_paths: GET each path of a file in turn (caller searches, offer lookups) with a staff
-- token. Expects 200. Arguments: API token, path of a file with one request path a line.
dofile("bench/wrk/common.lua")
expected_status = 200

local headers, paths, counter

function init(args)
   headers = {["Authorization"] = "Token " .. args[1]}
   paths = {}
   for line in io.lines(args[2]) do
      table.insert(paths, line)
   end
   counter = 0
end

function request()
   counter = counter + 1
   return wrk.format("GET", paths[((id - 1) * 131 + counter) % #paths + 1], headers)
end
