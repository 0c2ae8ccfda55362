-- wrk script for the ingest benchmark: sends the signed deliveries that `bench_load write`
-- prepared (PREFIX.<thread>: complete HTTP requests separated by NUL bytes), each thread its
-- own file, in order, starting over when a file is used up. Counts 2xx and other answers.
--
--   wrk -t T -c C -d D -s ingest.lua http://127.0.0.1:PORT -- PREFIX
--
-- Prints one line after wrk's own summary:
--   RESULT sent=… answered=… ok=… other=… seconds=… rate=… p50_ms=… p99_ms=… errors=…
-- `sent` counts requests written, `ok` 2xx answers, `rate` 2xx answers a second.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1] .. "." .. id, "rb"))
   local data = file:read("*a")
   file:close()
   requests = {}
   local from = 1
   while true do
      local nul = data:find("\0", from, true)
      if not nul then break end
      requests[#requests + 1] = data:sub(from, nul - 1)
      from = nul + 1
   end
   assert(#requests > 0, "no requests in " .. args[1] .. "." .. id)
   sent, ok, other = 0, 0, 0
end

function request()
   sent = sent + 1
   return requests[(sent - 1) % #requests + 1]
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local totalSent, totalOk, totalOther = 0, 0, 0
   for _, thread in ipairs(threads) do
      totalSent = totalSent + thread:get("sent")
      totalOk = totalOk + thread:get("ok")
      totalOther = totalOther + thread:get("other")
   end
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "RESULT sent=%d answered=%d ok=%d other=%d seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
      totalSent, totalOk + totalOther, totalOk, totalOther, seconds, totalOk / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
