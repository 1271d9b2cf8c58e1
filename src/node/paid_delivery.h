// Paid delivery in the node (issue 13; docs/formats/handshake.md, docs/formats/delivery-receipts.md):
// the handshake TCP listener (gateway.tcp_address) and WebSocket server (`/handshake` on the
// HTTP gateway, fed through websocket()) serving the blockstore's content to clients
// whose keys an account approved, the receipt aggregator at <home>/data/delivery, and the
// ledger reads both need, from the runtime's last published snapshot.
//
//   auto paid = PaidDelivery::start(data_dir / "delivery", options, node_key, runtime, blockstore);
//   (*paid)->stop();   // the listeners, the receipt recorder, then the poll thread; before the runtime stops
//
// Invariants: a client's session is admitted only by edge::check_client_admission over the
// snapshot (approved key, stables for the node's unexecuted receipts of that client and one
// window); a receipt counts once DeliveryAggregator::record_batch() synced it (a
// ReceiptRecorder thread group-commits what both listeners — TCP and WebSocket — hand it, off
// their I/O threads; the listeners stop before the recorder, the recorder before the
// aggregator); batches go to the
// runtime's queue of this node's own transactions (Runtime::submit_delivery_acknowledgments,
// never blocking the aggregator's lock); the aggregator is polled every `poll_interval_ms` by a
// thread of its own with the steady clock (time never reaches the ledger).
#pragma once

#include "content/blockstore.h"
#include "crypto/keys.h"
#include "edge/delivery_aggregator.h"
#include "edge/handshake_content.h"
#include "edge/handshake_tcp.h"
#include "edge/handshake_ws.h"
#include "node/runtime.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace fleek::node {

struct PaidDeliveryOptions {
    edge::handshake::TcpOptions tcp;  // tcp.session.chain_id is set from the genesis
    uint16_t port = 4221;             // 0: any free port
    edge::DeliveryAggregatorOptions aggregator;
    uint64_t poll_interval_ms = 500;
};

class PaidDelivery {
public:
    static Result<std::unique_ptr<PaidDelivery>, std::string> start(const std::filesystem::path& directory, PaidDeliveryOptions options,
                                                                    const crypto::NodeSecretKey& node_key, Runtime& runtime,
                                                                    content::Blockstore& store);
    ~PaidDelivery();
    PaidDelivery(const PaidDelivery&) = delete;
    PaidDelivery& operator=(const PaidDelivery&) = delete;

    // Stops the WebSocket and TCP listeners (no more receipts), the receipt recorder (persists
    // what waits), then the poll thread. Idempotent.
    void stop();
    uint16_t port() const;
    // Where the HTTP gateway hands WebSocket upgrades of /handshake (same options and limits as TCP).
    edge::handshake::HandshakeUpgrades& websocket() { return *m_websocket; }
    std::string metrics_text() const;

    struct Ledger;  // the ClaimReader and ClientFundsView over the runtime's snapshot
    struct Admission;
    struct Sink;

private:
    PaidDelivery() = default;
    void poll_loop();

    std::unique_ptr<Ledger> m_ledger;
    std::unique_ptr<edge::DeliveryAggregator> m_aggregator;
    std::unique_ptr<Admission> m_admission;
    std::unique_ptr<Sink> m_sink;
    std::unique_ptr<edge::handshake::BlockstoreContentSource> m_content;
    std::unique_ptr<edge::handshake::HandshakeTcpServer> m_server;
    std::unique_ptr<edge::handshake::HandshakeWebSocketServer> m_websocket;
    uint64_t m_poll_interval_ms = 500;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::thread m_poller;
    std::atomic<uint64_t> m_poll_failures{0};
};

}  // namespace fleek::node
