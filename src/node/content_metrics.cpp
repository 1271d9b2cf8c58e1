// ContentNetwork: its /metrics (Prometheus text), rendered on the content thread, which owns the
// transfer statistics. Peers are named by their node key (base58).
#include "node/content_network.h"

#include <fmt/format.h>

namespace fleek::node {

namespace {

class MetricsText {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        m_out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void value(std::string_view name, uint64_t value) { m_out += fmt::format("{} {}\n", name, value); }
    void labeled(std::string_view name, std::string_view labels, uint64_t value) { m_out += fmt::format("{}{{{}}} {}\n", name, labels, value); }
    void counter(std::string_view name, std::string_view help, uint64_t value) {
        family(name, "counter", help);
        this->value(name, value);
    }
    void gauge(std::string_view name, std::string_view help, uint64_t value) {
        family(name, "gauge", help);
        this->value(name, value);
    }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

std::string_view failure_label(edge::FetchFailure failure) {
    switch (failure) {
        case edge::FetchFailure::not_found: return "not_found";
        case edge::FetchFailure::busy: return "busy";
        case edge::FetchFailure::refused: return "refused";
        case edge::FetchFailure::peer_stalled: return "stalled";
        case edge::FetchFailure::deadline_exceeded: return "deadline";
        case edge::FetchFailure::bad_frame: return "bad_frame";
        case edge::FetchFailure::proof_rejected: return "proof_rejected";
        case edge::FetchFailure::directory_rejected: return "directory_rejected";
        case edge::FetchFailure::peer_disconnected: return "disconnected";
        case edge::FetchFailure::cancelled: return "cancelled";
        case edge::FetchFailure::store_failed: return "store_failed";
        case edge::FetchFailure::too_large: return "too_large";
    }
    return "other";
}

}  // namespace

std::string ContentNetwork::render_metrics() {
    MetricsText out;
    out.family("fleek_content_node_info", "gauge", "This node's key, as the peer label of other nodes' metrics names it");
    out.labeled("fleek_content_node_info", fmt::format("key=\"{}\"", m_self.to_string()), 1);

    out.family("fleek_content_requests_total", "counter", "Gateway requests by where their content came from");
    constexpr std::array<std::string_view, 4> sources{"local", "peer", "origin", "not_found"};
    for (size_t i = 0; i < sources.size(); ++i) {
        out.labeled("fleek_content_requests_total", fmt::format("source=\"{}\"", sources[i]), m_served[i].load());
    }
    const edge::FetcherCounters& fetches = m_fetcher->counters();
    out.gauge("fleek_fetch_active", "Fetches on a miss in progress", m_fetcher->active());
    out.family("fleek_fetches_total", "counter", "Fetches on a miss by outcome");
    out.labeled("fleek_fetches_total", "outcome=\"peer\"", fetches.from_peers);
    out.labeled("fleek_fetches_total", "outcome=\"not_found\"", fetches.not_found);
    out.labeled("fleek_fetches_total", "outcome=\"failed\"", fetches.failed);
    out.counter("fleek_fetch_transfers_total", "Peer transfers started by fetches on a miss", fetches.transfers);
    out.counter("fleek_fetch_transfers_resumed_total", "Transfers that continued from the first block another provider failed to give",
                fetches.resumed);
    out.family("fleek_ipfs_resolutions_total", "counter", "IPFS DAGs made local on a miss, by source");
    out.labeled("fleek_ipfs_resolutions_total", "source=\"peer\"", m_ipfs_from_peers.load());
    out.labeled("fleek_ipfs_resolutions_total", "source=\"origin\"", m_ipfs_from_origin.load());
    out.counter("fleek_resolver_claims_contradicted_total", "Resolver records whose CAR failed or gave another root", m_claims_contradicted.load());

    // Per peer, both directions; totals.
    uint64_t bytes_from_peers = 0;
    uint64_t bytes_to_peers = 0;
    std::array<uint64_t, edge::fetch_failure_count> failures{};
    uint64_t succeeded = 0;
    std::string received, received_ms, outcomes, bad, sent, blocks, sent_ms, served, serve_failed, costs, tiers;
    const uint64_t now = steady_ms();
    for (const auto& [key, peer] : m_peers) {
        const std::string label = fmt::format("peer=\"{}\"", key.to_string());
        const edge::RequesterPeerStats in = m_client->stats(key);
        const edge::ProviderPeerStats outbound = m_server->stats(key);
        bytes_from_peers += in.bytes_received;
        bytes_to_peers += outbound.bytes_sent;
        succeeded += in.succeeded;
        received += fmt::format("fleek_peer_fetch_bytes_total{{{}}} {}\n", label, in.bytes_received);
        received_ms += fmt::format("fleek_peer_fetch_ms_total{{{}}} {}\n", label, in.transfer_ms);
        outcomes += fmt::format("fleek_peer_fetch_transfers_total{{{},outcome=\"succeeded\"}} {}\n", label, in.succeeded);
        for (size_t f = 0; f < edge::fetch_failure_count; ++f) {
            failures[f] += in.failures[f];
            if (in.failures[f] != 0) {
                outcomes += fmt::format("fleek_peer_fetch_transfers_total{{{},outcome=\"{}\"}} {}\n", label,
                                        failure_label(static_cast<edge::FetchFailure>(f)), in.failures[f]);
            }
        }
        bad += fmt::format("fleek_peer_bad_messages_total{{{},side=\"requester\"}} {}\n", label, in.bad_messages);
        bad += fmt::format("fleek_peer_bad_messages_total{{{},side=\"provider\"}} {}\n", label, outbound.bad_messages);
        bad += fmt::format("fleek_peer_bad_messages_total{{{},side=\"requests\"}} {}\n", label, peer.bad_requests);
        sent += fmt::format("fleek_peer_serve_bytes_total{{{}}} {}\n", label, outbound.bytes_sent);
        blocks += fmt::format("fleek_peer_serve_blocks_total{{{}}} {}\n", label, outbound.blocks_sent);
        sent_ms += fmt::format("fleek_peer_serve_ms_total{{{}}} {}\n", label, outbound.transfer_ms);
        served += fmt::format("fleek_peer_serve_requests_total{{{}}} {}\n", label, outbound.requests);
        serve_failed += fmt::format("fleek_peer_serve_failed_total{{{}}} {}\n", label, outbound.failed);
        costs += fmt::format("fleek_peer_score_cost{{{}}} {}\n", label, m_fetcher->scores().cost(key, in, m_client->transfers_with(key)));
        tiers += fmt::format("fleek_peer_score_tier{{{}}} {}\n", label, static_cast<unsigned>(m_fetcher->scores().tier(key, now)));
    }
    out.counter("fleek_content_bytes_from_peers_total", "Transfer bytes received from peers (verified and stored)", bytes_from_peers);
    out.counter("fleek_content_bytes_to_peers_total", "Transfer bytes sent to peers", bytes_to_peers);
    out.family("fleek_content_transfers_total", "counter", "Transfers this node requested, by outcome");
    out.labeled("fleek_content_transfers_total", "outcome=\"succeeded\"", succeeded);
    for (size_t f = 0; f < edge::fetch_failure_count; ++f) {
        out.labeled("fleek_content_transfers_total", fmt::format("outcome=\"{}\"", failure_label(static_cast<edge::FetchFailure>(f))), failures[f]);
    }
    std::string text = out.take();
    const auto section = [&](std::string_view name, std::string_view type, std::string_view help, const std::string& lines) {
        text += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}", name, help, name, type, lines);
    };
    section("fleek_peer_fetch_bytes_total", "counter", "Transfer bytes received from each peer", received);
    section("fleek_peer_fetch_ms_total", "counter", "Summed duration of transfers from each peer", received_ms);
    section("fleek_peer_fetch_transfers_total", "counter", "Transfers from each peer by outcome", outcomes);
    section("fleek_peer_bad_messages_total", "counter", "Messages from each peer refused (undecodable, unrequested, protocol violations)", bad);
    section("fleek_peer_serve_bytes_total", "counter", "Transfer bytes sent to each peer", sent);
    section("fleek_peer_serve_blocks_total", "counter", "Blocks sent to each peer", blocks);
    section("fleek_peer_serve_ms_total", "counter", "Summed duration of transfers served to each peer", sent_ms);
    section("fleek_peer_serve_requests_total", "counter", "Transfer requests from each peer", served);
    section("fleek_peer_serve_failed_total", "counter", "Transfers this node could not serve (its copy failed to read)", serve_failed);
    section("fleek_peer_score_cost", "gauge", "The fetcher's cost of each peer (lower is asked first)", costs);
    section("fleek_peer_score_tier", "gauge", "The fetcher's tier of each peer: 0 good, 1 cooling down after a failure, 2 distrusted", tiers);

    MetricsText providers;
    {
        std::lock_guard lock(m_table_mutex);
        providers.gauge("fleek_provider_records", "Provider records held (announcements and withdrawals)", m_table.size());
        providers.gauge("fleek_provider_nodes", "Nodes with provider records held", m_table.provider_count());
    }
    providers.gauge("fleek_provider_announced", "Contents this node announces", m_publisher.announced());
    providers.counter("fleek_provider_announce_limited_total", "Contents not announced (over the announcement limit)", m_announce_limited);
    providers.counter("fleek_provider_batches_refused_total", "Provider gossip batches refused", m_provider_batches_refused.load());
    providers.counter("fleek_provider_snapshots_total", "Provider table snapshots completed", m_snapshots_completed);
    providers.counter("fleek_provider_snapshot_pages_total", "Snapshot pages received", m_snapshot_pages);
    providers.counter("fleek_provider_snapshot_pages_refused_total", "Snapshot pages refused", m_snapshot_pages_refused);
    providers.counter("fleek_content_unsolicited_answers_total", "Snapshot pages and resolver answers nobody asked for", m_unsolicited);
    providers.counter("fleek_content_frames_dropped_total", "Content frames dropped: the content thread's inbox was full", m_frames_dropped.load());
    providers.gauge("fleek_resolver_claims", "Resolver records held", m_resolver.claim_count());
    return text + providers.take();
}

}  // namespace fleek::node
