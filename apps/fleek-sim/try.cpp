#include "sim/sim.h"
#include <cstdio>
#include <cstdlib>
int main(int argc, char** argv) {
    uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
    size_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4;
    std::string err;
    auto faults = fleek::sim::parse_faults(argc > 3 ? argv[3] : "none", err);
    auto s = fleek::sim::make_scenario(seed, n, faults);
    if (argc > 4) s.real_bls = true;
    auto r = fleek::sim::run(s);
    std::printf("%s\n", r.summary().c_str());
    for (size_t i = 0; i < r.node_summaries.size(); ++i) { auto& x = r.node_summaries[i]; std::printf(" node %zu byz %d commits %lu round %lu high %lu tx %lu restarts %lu rejected %lu badsig %lu malformed %lu props %lu votes %lu certs %lu range %lu\n", i, x.byzantine, x.committed_sub_dags, x.last_committed_round, x.highest_round, x.transactions_out, x.restarts, x.stats.rejected, x.stats.bad_signatures, x.stats.malformed, x.stats.headers_proposed, x.stats.votes_sent, x.stats.certificates_accepted, x.stats.range_requests); }
    return r.ok() ? 0 : 1;
}
