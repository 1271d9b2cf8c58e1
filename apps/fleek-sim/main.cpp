// fleek-sim: runs the deterministic consensus simulator (src/sim/README.md).
//
//   fleek-sim consensus --seed S --nodes N [--faults LIST] [--byzantine KIND] [--real-bls] [--duration-ms MS]
//       one run; prints a summary, its trace hash and every violated property; exit 1 when one is violated
//   fleek-sim consensus --sweep --seeds A..B [--nodes 4,7,10] [--faults LIST|rotate] [--byzantine KIND]
//       many runs; prints each failure with its seed, then "N passed, M failed"
//
// Faults: crash, power-loss, partition, byzantine, loss, skew, stagger, quorum-loss, all, none.
// A failing seed reproduces exactly: same seed, same nodes, same faults, same output.
#include "apps/common/cli.h"
#include "sim/sim.h"
#include "util/encoding.h"

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

namespace fleek {
namespace {

struct Options {
    uint64_t seed = 1;
    std::string nodes = "4";
    std::string faults = "all";
    bool real_bls = false;
    uint64_t duration_ms = 0;
    bool sweep = false;
    std::string byzantine;
    std::string seeds = "1..100";
    bool verbose = false;
};

Result<std::vector<size_t>, std::string> parse_sizes(const std::string& text) {
    std::vector<size_t> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        const std::string item = text.substr(start, end - start);
        char* rest = nullptr;
        const unsigned long value = std::strtoul(item.c_str(), &rest, 10);
        if (item.empty() || *rest != '\0' || value < 1 || value > 64) {
            return fail(fmt::format("--nodes: '{}' is not a committee size between 1 and 64", item));
        }
        out.push_back(value);
        start = end + 1;
    }
    if (out.empty()) return fail(std::string("--nodes: no committee size given"));
    return out;
}

Result<std::pair<uint64_t, uint64_t>, std::string> parse_range(const std::string& text) {
    const size_t dots = text.find("..");
    char* rest = nullptr;
    if (dots == std::string::npos) {
        const uint64_t one = std::strtoull(text.c_str(), &rest, 10);
        if (text.empty() || *rest != '\0') return fail(fmt::format("--seeds: '{}' is not A..B", text));
        return std::pair(one, one);
    }
    const std::string a = text.substr(0, dots), b = text.substr(dots + 2);
    const uint64_t first = std::strtoull(a.c_str(), &rest, 10);
    if (a.empty() || *rest != '\0') return fail(fmt::format("--seeds: '{}' is not A..B", text));
    const uint64_t last = std::strtoull(b.c_str(), &rest, 10);
    if (b.empty() || *rest != '\0' || last < first) return fail(fmt::format("--seeds: '{}' is not A..B", text));
    return std::pair(first, last);
}

void print_nodes(const sim::Report& report) {
    for (size_t i = 0; i < report.node_summaries.size(); ++i) {
        const auto& n = report.node_summaries[i];
        std::printf("  node %zu%s: sub-DAGs %llu, last leader round %llu, highest round %llu, transactions %llu, restarts %llu, "
                    "headers %llu, votes %llu, certificates %llu, rejected %llu (bad signatures %llu), malformed %llu\n",
                    i, n.byzantine ? " (Byzantine)" : "", static_cast<unsigned long long>(n.committed_sub_dags),
                    static_cast<unsigned long long>(n.last_committed_round), static_cast<unsigned long long>(n.highest_round),
                    static_cast<unsigned long long>(n.transactions_out), static_cast<unsigned long long>(n.restarts),
                    static_cast<unsigned long long>(n.stats.headers_proposed), static_cast<unsigned long long>(n.stats.votes_sent),
                    static_cast<unsigned long long>(n.stats.certificates_accepted),
                    static_cast<unsigned long long>(n.stats.rejected), static_cast<unsigned long long>(n.stats.bad_signatures),
                    static_cast<unsigned long long>(n.stats.malformed));
    }
}

int run_consensus(const Options& options) {
    auto sizes = parse_sizes(options.nodes);
    if (!sizes) return cli::report_error(sizes.error());
    std::optional<sim::FaultSet> faults;
    if (options.faults != "rotate") {
        std::string error;
        faults = sim::parse_faults(options.faults, error);
        if (!error.empty()) return cli::report_error(error);
    }
    std::optional<sim::Byzantine> byzantine;
    if (!options.byzantine.empty()) {
        byzantine = sim::parse_byzantine(options.byzantine);
        if (!byzantine) return cli::report_error(fmt::format("--byzantine: unknown behaviour '{}'", options.byzantine));
    }
    const std::string byzantine_flag = options.byzantine.empty() ? "" : " --byzantine " + options.byzantine;
    if (!options.sweep) {
        if (sizes->size() != 1) return cli::report_error("a single run takes one --nodes value (use --sweep for several)");
        sim::Scenario scenario = sim::make_scenario(options.seed, sizes->front(), faults ? *faults : sim::fault_family(options.seed));
        scenario.real_bls = options.real_bls;
        if (byzantine) sim::force_byzantine(scenario, *byzantine);
        if (options.duration_ms) {
            const uint64_t scale_num = options.duration_ms * 1000;
            scenario.gst_us = scenario.gst_us * scale_num / scenario.duration_us;
            scenario.settle_us = scenario.settle_us * scale_num / scenario.duration_us;
            scenario.duration_us = scale_num;
        }
        std::printf("faults: %s; byzantine:", sim::to_string(faults ? *faults : sim::fault_family(options.seed)).c_str());
        for (const auto& [node, behaviour] : scenario.byzantine) {
            std::printf(" node %u %s", node, std::string(sim::to_string(behaviour)).c_str());
        }
        std::printf("; crashes %zu; partitions %zu; gc depth %llu; signatures %s\n", scenario.crashes.size(),
                    scenario.partitions.size(), static_cast<unsigned long long>(scenario.parameters.gc_depth),
                    options.real_bls ? "BLS" : "test scheme");
        const sim::Report report = sim::run(scenario);
        std::printf("%s\ntrace %s\n", report.summary().c_str(), hex_encode(report.trace_hash).c_str());
        if (options.verbose || !report.ok()) print_nodes(report);
        return report.ok() ? cli::exit_ok : cli::exit_failure;
    }
    auto range = parse_range(options.seeds);
    if (!range) return cli::report_error(range.error());
    uint64_t passed = 0;
    const auto result = sim::sweep(*sizes, range->first, range->second - range->first + 1, faults, options.real_bls,
                                   [&](const sim::Report& report) {
                                       if (report.ok()) {
                                           ++passed;
                                           if (options.verbose) std::printf("%s\n", report.summary().c_str());
                                       } else {
                                           std::printf("FAILED: fleek-sim consensus --seed %llu --nodes %zu --faults %s%s%s\n%s\n",
                                                       static_cast<unsigned long long>(report.seed), report.nodes,
                                                       sim::to_string(faults ? *faults : sim::fault_family(report.seed)).c_str(),
                                                       byzantine_flag.c_str(), options.real_bls ? " --real-bls" : "",
                                                       report.summary().c_str());
                                       }
                                       std::fflush(stdout);
                                   },
                                   byzantine);
    std::printf("%llu passed, %zu failed\n", static_cast<unsigned long long>(passed), result.failures.size());
    return result.failures.empty() ? cli::exit_ok : cli::exit_failure;
}

}  // namespace
}  // namespace fleek

int main(int argc, char** argv) {
    using namespace fleek;
    CLI::App app{"fleek-sim: deterministic simulations of Fleek Network components"};
    app.set_version_flag("--version", FLEEK_VERSION);
    app.require_subcommand(1);
    Options options;
    CLI::App* consensus = app.add_subcommand("consensus", "Simulate a Narwhal + Bullshark committee");
    consensus->add_option("--seed", options.seed, "Seed of a single run");
    consensus->add_option("--nodes", options.nodes, "Committee size (a list such as 4,7,10 with --sweep)");
    consensus->add_option("--faults", options.faults,
                          "crash, power-loss, partition, byzantine, loss, skew, stagger, quorum-loss, all, none; "
                          "'rotate' picks a family per seed");
    consensus->add_option("--byzantine", options.byzantine,
                          "Behaviour of the scenario's Byzantine nodes: equivocate, bad-signatures, withhold-certificates, "
                          "far-future, invalid-parents, vote-everything, silent, withhold-batches, junk-spam, "
                          "cross-epoch-replay, timestamp-abuse, slow-leader, withhold-from-some");
    consensus->add_flag("--real-bls", options.real_bls, "Sign and verify with BLS12-381 instead of the test scheme");
    consensus->add_option("--duration-ms", options.duration_ms, "Virtual duration of a single run (default 20000)");
    consensus->add_flag("--sweep", options.sweep, "Run many seeds and print the failures with their seeds");
    consensus->add_option("--seeds", options.seeds, "Seeds of a sweep, A..B");
    consensus->add_flag("-v,--verbose", options.verbose, "Print every run and per-node figures");
    return cli::run(app, argc, argv, [&] { return run_consensus(options); });
}
