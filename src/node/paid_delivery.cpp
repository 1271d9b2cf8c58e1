#include "node/paid_delivery.h"

#include "edge/delivery_admission.h"
#include "edge/handshake_content.h"
#include "edge/receipt_recorder.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace fleek::node {

namespace {

uint64_t steady_ms() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

edge::handshake::AdmissionRefusal session_refusal(edge::AdmissionRefusal refusal) {
    switch (refusal) {
        case edge::AdmissionRefusal::client_key_not_approved: return edge::handshake::AdmissionRefusal::unapproved_client;
        case edge::AdmissionRefusal::unknown_service: return edge::handshake::AdmissionRefusal::unknown_service;
        case edge::AdmissionRefusal::insufficient_funds: return edge::handshake::AdmissionRefusal::insufficient_funds;
    }
    return edge::handshake::AdmissionRefusal::unapproved_client;
}

}  // namespace

// The ledger as the runtime last published it (never waits for a block that executes).
struct PaidDelivery::Ledger final : edge::ClaimReader, edge::ClientFundsView {
    Ledger(Runtime& runtime, const crypto::NodePublicKey& node) : m_runtime(runtime), m_node(node) {}
    std::shared_ptr<const ledger::LedgerSnapshot> snapshot() const { return m_runtime.summary()->ledger; }

    ledger::Epoch epoch() const override { return m_runtime.summary()->chain.epoch; }
    std::optional<ledger::NodeIndex> node_index() const override { return snapshot()->node_index(m_node); }
    std::optional<ledger::SessionClaim> session_claim(ledger::Epoch epoch, const ledger::ClientKeyBytes& client_key,
                                                      const ledger::SessionId& session_id) const override {
        return snapshot()->session_claim(epoch, client_key, session_id);
    }
    std::optional<U256> approved_client_stables(const ledger::ClientKeyBytes& client_key) const override {
        auto key = crypto::ClientPublicKey::from_bytes(client_key);
        if (!key) return std::nullopt;
        const auto state = snapshot();
        const auto owner = state->client_key_owner(*key);
        if (!owner) return std::nullopt;
        const auto account = state->account(*owner);
        return account ? account->stables : U256(0);
    }
    std::optional<U256> service_price(ledger::ServiceId id) const override {
        const auto service = snapshot()->service(id);
        if (!service) return std::nullopt;
        return service->price_per_million_units;
    }

    Runtime& m_runtime;
    crypto::NodePublicKey m_node;
};

struct PaidDelivery::Admission final : edge::handshake::ClientAdmission {
    Admission(const Ledger& ledger, const edge::DeliveryAggregator& aggregator) : m_ledger(ledger), m_aggregator(aggregator) {}
    Result<void, edge::handshake::AdmissionRefusal> admit(const crypto::ClientPublicKey& client, ledger::ServiceId service,
                                                          uint64_t /*acknowledged_bytes: counted by unexecuted_units*/,
                                                          uint64_t next_window_bytes) override {
        auto admitted = edge::check_client_admission(m_ledger, client.bytes(), service, m_aggregator.unexecuted_units(client.bytes()),
                                                     next_window_bytes);
        if (!admitted) {
            ++refused;
            return fail(session_refusal(admitted.error()));
        }
        return {};
    }
    const Ledger& m_ledger;
    const edge::DeliveryAggregator& m_aggregator;
    std::atomic<uint64_t> refused{0};
};

// The listener's receipts, group-committed by the recorder's thread: every receipt waiting is
// stored by one DeliveryAggregator::record_batch (one synced write).
struct PaidDelivery::Sink {
    explicit Sink(edge::DeliveryAggregator& aggregator)
        : m_aggregator(aggregator), recorder([this](std::span<const ledger::SignedDeliveryReceipt> receipts) { return persist(receipts); }) {}

    std::vector<Result<void, edge::handshake::ReceiptSinkError>> persist(std::span<const ledger::SignedDeliveryReceipt> receipts) {
        std::vector<Result<void, edge::handshake::ReceiptSinkError>> out;
        out.reserve(receipts.size());
        for (const auto& recorded : m_aggregator.record_batch(receipts)) {
            if (!recorded) {
                ++refused;
                FLEEK_LOG_WARN("delivery", "receipt not recorded: {}", edge::to_string(recorded.error()));
                out.emplace_back(fail(edge::handshake::ReceiptSinkError::not_stored));
                continue;
            }
            if (*recorded == edge::RecordOutcome::stored) ++recorded_count;
            out.emplace_back();
        }
        return out;
    }

    edge::DeliveryAggregator& m_aggregator;
    std::atomic<uint64_t> recorded_count{0};
    std::atomic<uint64_t> refused{0};
    edge::handshake::ReceiptRecorder recorder;  // last: its thread starts once the rest is built
};

Result<std::unique_ptr<PaidDelivery>, std::string> PaidDelivery::start(const std::filesystem::path& directory, PaidDeliveryOptions options,
                                                                       const crypto::NodeSecretKey& node_key, Runtime& runtime,
                                                                       content::Blockstore& store) {
    std::unique_ptr<PaidDelivery> paid(new PaidDelivery());
    paid->m_poll_interval_ms = std::max<uint64_t>(options.poll_interval_ms, 1);
    paid->m_ledger = std::make_unique<Ledger>(runtime, node_key.public_key());
    const uint64_t chain_id = runtime.summary()->chain.chain_id;
    options.tcp.session.chain_id = chain_id;
    Runtime* runtime_ptr = &runtime;
    auto aggregator = edge::DeliveryAggregator::open(
        directory, {chain_id, node_key.public_key().bytes()}, *paid->m_ledger,
        [runtime_ptr](const std::vector<ledger::SignedDeliveryReceipt>& receipts) { return runtime_ptr->submit_delivery_acknowledgments(receipts); },
        options.aggregator);
    if (!aggregator) return fail(fmt::format("delivery receipts at {}: {}", directory.string(), edge::to_string(aggregator.error())));
    paid->m_aggregator = std::move(*aggregator);
    paid->m_admission = std::make_unique<Admission>(*paid->m_ledger, *paid->m_aggregator);
    paid->m_sink = std::make_unique<Sink>(*paid->m_aggregator);
    paid->m_content = std::make_unique<edge::handshake::BlockstoreContentSource>(store);
    const Ledger* ledger = paid->m_ledger.get();
    const edge::handshake::TcpDependencies dependencies{
        .node_key = node_key,
        .admission = *paid->m_admission,
        .receipts = paid->m_sink->recorder,
        .content = *paid->m_content,
        .current_epoch = [ledger] { return ledger->epoch(); },
        .random = {},
        .now_ms = {},
    };
    paid->m_server = std::make_unique<edge::handshake::HandshakeTcpServer>(dependencies);
    if (auto started = paid->m_server->start(options.port, options.tcp); !started) {
        return fail(fmt::format("gateway.tcp_address: {}", started.error()));
    }
    paid->m_websocket = std::make_unique<edge::handshake::HandshakeWebSocketServer>(dependencies);
    paid->m_websocket->start(options.tcp);
    paid->m_poller = std::thread([raw = paid.get()] { raw->poll_loop(); });
    return paid;
}

PaidDelivery::~PaidDelivery() { stop(); }

void PaidDelivery::stop() {
    if (m_websocket) m_websocket->stop();
    if (m_server) m_server->stop();
    if (m_sink) m_sink->recorder.stop();  // after both listeners: no receipt comes any more
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_poller.joinable()) m_poller.join();
}

uint16_t PaidDelivery::port() const { return m_server->port(); }

void PaidDelivery::poll_loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        lock.unlock();
        if (auto polled = m_aggregator->poll(steady_ms()); !polled) {
            if (m_poll_failures++ == 0) FLEEK_LOG_ERROR("delivery", "receipt aggregator poll failed: {}", edge::to_string(polled.error()));
        }
        lock.lock();
        m_wake.wait_for(lock, std::chrono::milliseconds(m_poll_interval_ms), [this] { return m_stopping; });
    }
}

std::string PaidDelivery::metrics_text() const {
    const edge::AggregatorStats aggregator = m_aggregator->stats();
    const edge::handshake::TcpStats tcp = m_server->stats();
    std::string text;
    auto metric = [&text](std::string_view name, std::string_view help, uint64_t value) {
        text += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
    };
    metric("fleek_delivery_receipts_recorded_total", "Client receipts verified and stored (a newer amount of a session)", m_sink->recorded_count);
    metric("fleek_delivery_receipts_refused_total", "Client receipts the aggregator did not store", m_sink->refused);
    metric("fleek_delivery_receipt_syncs_total", "Synced writes of receipts (one per group commit)", aggregator.synced_writes);
    metric("fleek_delivery_receipts_kept", "Receipts kept until the ledger claims them", aggregator.stored);
    metric("fleek_delivery_receipt_amount_kept", "Sum of the kept receipts' amounts (bytes for delivery): what is on disk, owed, not yet claimed",
           aggregator.amount_kept);
    metric("fleek_delivery_batches_submitted_total", "Receipt batches handed to the runtime", aggregator.submitted_batches);
    metric("fleek_delivery_receipts_claimed_total", "Receipts dropped because the ledger claimed them", aggregator.claimed);
    metric("fleek_delivery_admissions_refused_total", "Sessions or windows refused by the client funds check", m_admission->refused);
    metric("fleek_handshake_sessions_opened_total", "Paid sessions opened", tcp.opened_sessions);
    metric("fleek_handshake_connections_open", "Paid session connections open now", tcp.open_connections);
    metric("fleek_handshake_connections_refused_total", "Paid session connections told server_busy (over the total or per-address limit)",
           tcp.refused_busy + tcp.refused_per_source);
    metric("fleek_handshake_connections_timed_out_total", "Paid session connections closed with `timeout` (not opened in time, or idle)",
           tcp.timed_out);
    metric("fleek_handshake_accept_errors_total", "accept() failures on the paid session port (out of file descriptors)", tcp.accept_errors);
    const edge::handshake::TcpStats websocket = m_websocket->stats();
    metric("fleek_handshake_websocket_sessions_opened_total", "Paid sessions opened over WebSocket (/handshake on the gateway)",
           websocket.opened_sessions);
    metric("fleek_handshake_websocket_connections_open", "Paid session WebSocket connections open now", websocket.open_connections);
    metric("fleek_handshake_websocket_connections_refused_total",
           "Paid session WebSocket connections told server_busy (over the total or per-address limit)",
           websocket.refused_busy + websocket.refused_per_source);
    return text;
}

}  // namespace fleek::node
