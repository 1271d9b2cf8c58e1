#include "ledger/reputation.h"

#include "util/assert.h"

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <array>
#include <set>

namespace fleek::ledger {

namespace {

// Signed 256-bit integers: products of 2^66-sized deviations with counts fit with room to spare.
using Wide = boost::multiprecision::int256_t;

constexpr int64_t metric_scale = 1'000'000;
constexpr size_t metric_count = 7;
enum Metric : size_t { latency = 0, interactions, inbound, outbound, received, sent, uptime };

std::optional<Wide> metric_sample(const Measurements& m, size_t metric) {
    switch (metric) {
        case latency: return m.latency_ms ? std::optional<Wide>(*m.latency_ms) : std::nullopt;
        case interactions: {
            auto v = m.interactions_value();
            return v ? std::optional<Wide>(*v) : std::nullopt;
        }
        case inbound: return m.inbound_bandwidth ? std::optional<Wide>(*m.inbound_bandwidth) : std::nullopt;
        case outbound: return m.outbound_bandwidth ? std::optional<Wide>(*m.outbound_bandwidth) : std::nullopt;
        case received: return m.bytes_received ? std::optional<Wide>(*m.bytes_received) : std::nullopt;
        case sent: return m.bytes_sent ? std::optional<Wide>(*m.bytes_sent) : std::nullopt;
        case uptime: return m.uptime_percent ? std::optional<Wide>(*m.uptime_percent) : std::nullopt;
        default: return std::nullopt;
    }
}

struct Sample {
    Wide value;
    Wide weight;
};

// Steps 2–4 for one metric of one node: the weighted value × metric_scale.
std::optional<Wide> aggregate(std::vector<Sample> samples, bool invert_weights) {
    if (samples.empty()) return std::nullopt;
    if (invert_weights && samples.size() > 1) {
        Wide total = 0;
        for (const Sample& s : samples) total += s.weight;
        for (Sample& s : samples) s.weight = total - s.weight;
    }
    const auto normalize_zero_weights = [](std::vector<Sample>& list) {
        Wide total = 0;
        for (const Sample& s : list) total += s.weight;
        if (total == 0) {
            for (Sample& s : list) s.weight = 1;
        }
    };
    normalize_zero_weights(samples);
    // Outliers: with D_j = n·v_j − Σv, (v_j − mean)² ≥ 9σ² ⇔ D_j² (n − 1) ≥ 9 ΣD².
    const Wide n = static_cast<int64_t>(samples.size());
    if (samples.size() >= 2) {
        Wide sum = 0;
        for (const Sample& s : samples) sum += s.value;
        Wide squares = 0;
        std::vector<Wide> deviations;
        deviations.reserve(samples.size());
        for (const Sample& s : samples) {
            deviations.push_back(n * s.value - sum);
            squares += deviations.back() * deviations.back();
        }
        if (squares > 0) {
            std::vector<Sample> kept;
            for (size_t j = 0; j < samples.size(); ++j) {
                if (deviations[j] * deviations[j] * (n - 1) < 9 * squares) kept.push_back(samples[j]);
            }
            FLEEK_ASSERT(!kept.empty());
            samples = std::move(kept);
            normalize_zero_weights(samples);
        }
    }
    Wide weighted = 0;
    Wide total_weight = 0;
    for (const Sample& s : samples) {
        weighted += s.value * s.weight;
        total_weight += s.weight;
    }
    return weighted * metric_scale / total_weight;
}

uint8_t clamp_score(const Wide& value) {
    if (value < 0) return 0;
    if (value > 100) return 100;
    return static_cast<uint8_t>(static_cast<int64_t>(value));
}

}  // namespace

uint8_t default_reputation(const std::map<NodeIndex, uint8_t>& scores) {
    if (scores.empty()) return 15;
    std::vector<uint8_t> sorted;
    sorted.reserve(scores.size());
    for (const auto& [node, score] : scores) sorted.push_back(score);
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() * 15 / 100];
}

std::map<NodeIndex, uint64_t> eigentrust(const std::vector<ReportInput>& reports, const std::vector<NodeIndex>& nodes,
                                         const std::vector<NodeIndex>& pre_trusted) {
    std::map<NodeIndex, uint64_t> trust;
    if (nodes.empty()) return trust;
    // Local satisfaction rows: reporter → (peer, positive interactions).
    std::map<NodeIndex, std::vector<std::pair<NodeIndex, uint64_t>>> rows;
    std::map<NodeIndex, uint64_t> row_totals;
    for (const ReportInput& report : reports) {
        const auto value = report.measurements.interactions_value();
        if (!value || *value <= 0 || report.target == report.reporter) continue;
        rows[report.reporter].emplace_back(report.target, static_cast<uint64_t>(*value));
        row_totals[report.reporter] += static_cast<uint64_t>(*value);
    }
    // The pre-trusted distribution p: uniform over the pre-trusted nodes present (all nodes if
    // none), the remainder of the integer division going to the first ones.
    std::vector<NodeIndex> trusted;
    for (const NodeIndex node : pre_trusted) {
        if (std::binary_search(nodes.begin(), nodes.end(), node)) trusted.push_back(node);
    }
    if (trusted.empty()) trusted = nodes;
    std::map<NodeIndex, uint64_t> p;
    for (const NodeIndex node : nodes) p[node] = 0;
    const uint64_t share = trust_scale / trusted.size();
    const uint64_t remainder = trust_scale % trusted.size();
    for (size_t i = 0; i < trusted.size(); ++i) p[trusted[i]] = share + (i < remainder ? 1 : 0);

    std::map<NodeIndex, uint64_t> t = p;
    for (int iteration = 0; iteration < eigentrust_iterations; ++iteration) {
        std::map<NodeIndex, uint64_t> next;
        for (const NodeIndex node : nodes) next[node] = 0;
        uint64_t dangling = 0;
        for (const NodeIndex i : nodes) {
            const uint64_t ti = t[i];
            auto row = rows.find(i);
            if (row == rows.end()) {
                dangling += ti;
                continue;
            }
            const uint64_t total = row_totals[i];
            for (const auto& [j, satisfaction] : row->second) {
                // ti ≤ 10^9 and satisfaction ≤ 2^31: the product fits in 64 bits.
                auto target = next.find(j);
                if (target != next.end()) target->second += ti * satisfaction / total;
            }
        }
        for (const NodeIndex j : nodes) {
            const uint64_t mixed = next[j] + dangling * p[j] / trust_scale;
            next[j] = mixed * (100 - eigentrust_alpha_percent) / 100 + p[j] * eigentrust_alpha_percent / 100;
        }
        t = std::move(next);
    }
    return t;
}

std::vector<ReputationUpdate> compute_reputation(const ReputationInputs& inputs) {
    const uint8_t default_score = default_reputation(inputs.old_scores);
    const auto weight_of = [&](NodeIndex reporter) -> Wide {
        auto it = inputs.old_scores.find(reporter);
        return it == inputs.old_scores.end() ? default_score : it->second;
    };

    // Steps 1–4 per target with enough reports.
    std::map<NodeIndex, std::array<std::optional<Wide>, metric_count>> values;
    for (size_t begin = 0; begin < inputs.reports.size();) {
        const NodeIndex target = inputs.reports[begin].target;
        size_t end = begin;
        while (end < inputs.reports.size() && inputs.reports[end].target == target) ++end;
        if (end - begin >= inputs.min_num_measurements) {
            std::array<std::optional<Wide>, metric_count> row{};
            for (size_t metric = 0; metric < metric_count; ++metric) {
                std::vector<Sample> samples;
                for (size_t k = begin; k < end; ++k) {
                    if (auto v = metric_sample(inputs.reports[k].measurements, metric)) {
                        samples.push_back(Sample{*v, weight_of(inputs.reports[k].reporter)});
                    }
                }
                row[metric] = aggregate(std::move(samples), metric == latency);
            }
            values[target] = row;
        }
        begin = end;
    }

    // Step 5: min–max normalisation across the scored nodes.
    std::array<std::optional<std::pair<Wide, Wide>>, metric_count> ranges{};
    for (const auto& [node, row] : values) {
        for (size_t metric = 0; metric < metric_count; ++metric) {
            if (!row[metric]) continue;
            auto& range = ranges[metric];
            if (!range) {
                range = std::pair<Wide, Wide>(*row[metric], *row[metric]);
            } else {
                range->first = std::min(range->first, *row[metric]);
                range->second = std::max(range->second, *row[metric]);
            }
        }
    }
    std::map<NodeIndex, std::optional<uint8_t>> measured;
    std::map<NodeIndex, uint8_t> uptimes;
    for (const auto& [node, row] : values) {
        Wide sum = 0;
        int terms = 0;
        for (size_t metric = 0; metric < metric_count; ++metric) {
            if (!row[metric]) continue;
            Wide term;
            if (metric == uptime) {
                term = std::min<Wide>(*row[metric] / 100, metric_scale);
                uptimes[node] = clamp_score(*row[metric] / metric_scale);
            } else {
                const auto& range = *ranges[metric];
                if (range.second == range.first) continue;
                term = (*row[metric] - range.first) * metric_scale / (range.second - range.first);
                if (metric == latency) term = metric_scale - term;
            }
            sum += term;
            ++terms;
        }
        measured[node] = terms < 3 ? std::nullopt : std::optional<uint8_t>(clamp_score(sum * 100 / (terms * Wide(metric_scale))));
    }

    // EigenTrust over everyone that reported, was reported, or is pre-trusted.
    std::set<NodeIndex> trust_nodes(inputs.pre_trusted.begin(), inputs.pre_trusted.end());
    for (const ReportInput& report : inputs.reports) {
        trust_nodes.insert(report.target);
        trust_nodes.insert(report.reporter);
    }
    const std::vector<NodeIndex> trust_list(trust_nodes.begin(), trust_nodes.end());
    const std::map<NodeIndex, uint64_t> trust = eigentrust(inputs.reports, trust_list, inputs.pre_trusted);

    std::set<NodeIndex> updated(trust_nodes);
    for (const auto& [node, score] : inputs.old_scores) updated.insert(node);
    std::vector<ReputationUpdate> out;
    out.reserve(updated.size());
    for (const NodeIndex node : updated) {
        ReputationUpdate update;
        update.node = node;
        if (auto it = measured.find(node); it != measured.end()) update.measured = it->second;
        if (auto it = uptimes.find(node); it != uptimes.end()) update.uptime_percent = it->second;
        if (auto it = trust.find(node); it != trust.end()) update.trust = it->second;
        const uint64_t trust_score =
            std::min<uint64_t>(100, update.trust * trust_list.size() * 50 / trust_scale);
        const uint64_t beta = inputs.trust_weight_percent;
        const uint64_t fresh = (uint64_t{update.measured.value_or(0)} * (100 - beta) + trust_score * beta) / 100;
        auto old = inputs.old_scores.find(node);
        const uint64_t previous = old == inputs.old_scores.end() ? default_score : old->second;
        update.score = static_cast<uint8_t>(std::min<uint64_t>(100, (7 * previous + 3 * fresh) / 10));
        out.push_back(update);
    }
    return out;
}

}  // namespace fleek::ledger
