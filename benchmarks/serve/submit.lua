-- wrk script: POSTs one exam (a STOW-RS multipart/related body) per request and counts the answers by
-- status over every thread; prints them and the latency percentiles when the run ends.
wrk.method = "POST"
local file = assert(io.open(os.getenv("MAMMOFM_LOAD_BODY"), "rb"))
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = 'multipart/related; type="application/dicom"; boundary=mammofm-load-boundary'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("MAMMOFM_LOAD_TOKEN")

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body) counts[status] = (counts[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do total[status] = (total[status] or 0) + count end
  end
  for status, count in pairs(total) do io.write(string.format("status %d %d\n", status, count)) end
  io.write(string.format("latency_ms p50 %.1f p99 %.1f max %.1f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("socket_errors connect %d read %d write %d timeout %d\n", summary.errors.connect, summary.errors.read,
                         summary.errors.write, summary.errors.timeout))
end
