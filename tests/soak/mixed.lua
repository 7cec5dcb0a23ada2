-- wrk script for tests/soak/load_soak.sh: on every connection, nine lookups of an order as
-- customer service, then one order creation by the channel, over and over (90 % / 10 %).
-- Arguments (after --): the cs token, the channel token, the number of orders to look up
-- (ids 1..N), and a prefix that makes this run's Idempotency-Keys its own.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  cs_token, channel_token = args[1], args[2]
  order_count = tonumber(args[3])
  run = args[4]
  counter = 0
  created, looked_up, failed = 0, 0, 0
  order_body = '{"channel_ref":"soak","customer":{"name":"压测用户","phone":"13800138000",' ..
    '"address":{"province":"浙江省","city":"杭州市","district":"西湖区","street":"文三路",' ..
    '"detail":"1 幢 101 室"}},"items":[{"product":"postcard-cn"}]}'
end

function request()
  counter = counter + 1
  if counter % 10 == 0 then
    return wrk.format("POST", "/api/v1/orders", {
      ["Authorization"] = "Bearer " .. channel_token,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = run .. "-" .. thread_id .. "-" .. counter,
    }, order_body)
  end
  local id = (counter * 7919) % order_count + 1
  return wrk.format("GET", "/api/v1/orders/" .. id, { ["Authorization"] = "Bearer " .. cs_token })
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    looked_up = looked_up + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local c, l, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    l = l + thread:get("looked_up")
    f = f + thread:get("failed")
  end
  io.write(string.format("wrk-counts lookups=%d creations=%d failed=%d\n", l, c, f))
  io.write(string.format("wrk-latency p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
