-- wrk script of bench/gateway_bench.sh: requests the paths listed one a line in the file
-- $FLEEK_BENCH_PATHS, wrk thread i of $FLEEK_BENCH_THREADS taking every n-th path in turn, so
-- the threads walk different parts of the working set.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("FLEEK_BENCH_PATHS")) do all[#all + 1] = line end
  local threads = tonumber(os.getenv("FLEEK_BENCH_THREADS"))
  paths = {}
  for i = id + 1, #all, threads do paths[#paths + 1] = all[i] end
  issued = 0
end

function request()
  issued = issued + 1
  return wrk.format("GET", paths[(issued - 1) % #paths + 1])
end
