-- tracking_paths: GET each path of a file in turn, as a prospect's mail app or browser does (no
-- token, a browser's User-Agent): the open image (/o/…, expects 200) or a tracked link (/t/…,
-- expects 302). Arguments: path of a file with one request path a line, the expected status.
dofile("bench/wrk/common.lua")

local headers, paths, counter

function init(args)
   headers = {["User-Agent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"}
   paths = {}
   for line in io.lines(args[1]) do
      table.insert(paths, line)
   end
   expected_status = tonumber(args[2])
   counter = 0
end

function request()
   counter = counter + 1
   return wrk.format("GET", paths[((id - 1) * 131 + counter) % #paths + 1], headers)
end
