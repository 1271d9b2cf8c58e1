// Test support for handshake sessions: admission and a receipt sink kept in memory, keys from
// fixed seeds, a blockstore with content, and an in-memory pipe between HandshakeConnection and
// HandshakeClient.
#pragma once

#include "content/tree.h"
#include "edge/handshake_client.h"
#include "edge/handshake_content.h"
#include "edge/handshake_session.h"
#include "tests/support/files.h"
#include "tests/support/random_bytes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

namespace fleek::edge::handshake::testing {

inline crypto::NodeSecretKey node_key(uint8_t seed = 1) { return crypto::NodeSecretKey::from_seed(Bytes(32, seed)).value(); }
inline crypto::ClientSecretKey client_key(uint8_t seed = 2) { return crypto::ClientSecretKey::from_seed(Bytes(32, seed)).value(); }

// Approved keys, and per key the bytes its account can still pay for.
class MemoryAdmission final : public ClientAdmission {
public:
    Result<void, AdmissionRefusal> admit(const crypto::ClientPublicKey& client, ledger::ServiceId, uint64_t acknowledged_bytes,
                                         uint64_t next_window_bytes) override {
        std::lock_guard lock(m_mutex);
        ++calls;
        const auto it = funds_bytes.find(client.bytes());
        if (it == funds_bytes.end()) return fail(AdmissionRefusal::unapproved_client);
        if (it->second < acknowledged_bytes + next_window_bytes) return fail(AdmissionRefusal::insufficient_funds);
        return {};
    }
    std::map<ledger::ClientKeyBytes, uint64_t> funds_bytes;
    int calls = 0;

private:
    std::mutex m_mutex;
};

// Completes each record at once (before record() returns).
class MemorySink final : public ReceiptSink {
public:
    void record(const ledger::SignedDeliveryReceipt& receipt, ReceiptRecorded done) override {
        {
            std::lock_guard lock(m_mutex);
            if (!refuse) m_receipts.push_back(receipt);
        }
        done(refuse ? Result<void, ReceiptSinkError>(fail(ReceiptSinkError::not_stored)) : Result<void, ReceiptSinkError>());
    }
    std::vector<ledger::SignedDeliveryReceipt> receipts() {
        std::lock_guard lock(m_mutex);
        return m_receipts;
    }
    std::vector<uint64_t> amounts() {
        std::vector<uint64_t> out;
        for (const auto& r : receipts()) out.push_back(r.receipt.amount);
        return out;
    }
    bool refuse = false;

private:
    std::mutex m_mutex;
    std::vector<ledger::SignedDeliveryReceipt> m_receipts;
};

// Holds every record until the test completes it (a disk as slow as the test wants): the
// listener tests check that the window reopens only at the completion.
class GatedSink final : public ReceiptSink {
public:
    void record(const ledger::SignedDeliveryReceipt& receipt, ReceiptRecorded done) override {
        std::lock_guard lock(m_mutex);
        m_waiting.push_back(Waiting{receipt.receipt.amount, std::move(done)});
    }
    // Completes the oldest waiting record with success, after raising `completed` to its amount
    // (so that a client sees the new amount before the node can count it). False if none waits.
    size_t waiting() {
        std::lock_guard lock(m_mutex);
        return m_waiting.size();
    }
    bool complete_next(std::atomic<uint64_t>& completed) {
        Waiting next;
        {
            std::lock_guard lock(m_mutex);
            if (m_waiting.empty()) return false;
            next = std::move(m_waiting.front());
            m_waiting.erase(m_waiting.begin());
        }
        if (next.amount > completed) completed = next.amount;
        next.done({});
        return true;
    }
private:
    struct Waiting {
        uint64_t amount = 0;
        ReceiptRecorded done;
    };
    std::mutex m_mutex;
    std::vector<Waiting> m_waiting;
};

inline ledger::SessionId session_id(uint8_t value) {
    ledger::SessionId id;
    id.fill(value);
    return id;
}

// A counter as the injected randomness: distinct nonces and tokens, reproducible.
struct CountingRandom {
    uint8_t next = 1;
    void operator()(MutableByteSpan out) {
        for (auto& byte : out) byte = next;
        ++next;
    }
};

// One node (blockstore, admission, sink, registry) and helpers to run sessions against it.
struct NodeFixture {
    static constexpr uint64_t chain_id = 59330;

    NodeFixture() : key(node_key()), store(content::Blockstore::open(dir / "store", {}).value()), source(*store), registry(options) {
        options.chain_id = chain_id;
        registry = SessionRegistry(options);
        admission.funds_bytes[client_key().public_key().bytes()] = 1ull << 40;
    }

    Hash32 put(size_t size, uint32_t seed) {
        content_bytes = fleek::testing::random_bytes(size, seed);
        return store->put(content_bytes).value();
    }

    std::unique_ptr<HandshakeConnection> connect(uint64_t now_ms) {
        SessionContext context{key, admission, source, registry, [this](MutableByteSpan out) { random(out); },
                               [this] { return epoch; }};
        return std::make_unique<HandshakeConnection>(std::move(context), options, now_ms);
    }

    // run() and on_frame() recording the connection's receipts through `sink` (as the TCP
    // listener does, completed at once).
    std::optional<ClientError> run(HandshakeConnection& node, HandshakeClient& client, uint64_t now_ms, bool client_sends = true);
    void feed(HandshakeConnection& node, ByteSpan payload, uint64_t now_ms);

    ClientOptions client_options(uint8_t session = 0x5e) const {
        return ClientOptions{key.public_key(), chain_id, session_id(session), 0, std::nullopt, 0};
    }

    fleek::testing::ScratchDirectory dir;
    crypto::NodeSecretKey key;
    std::unique_ptr<content::Blockstore> store;
    BlockstoreContentSource source;
    SessionOptions options;
    SessionRegistry registry;
    MemoryAdmission admission;
    MemorySink sink;
    CountingRandom random;
    uint64_t epoch = 3;
    Bytes content_bytes;
};

// What a connection sent, frame by frame (payloads, without the length prefix).
inline Bytes payload(const OutFrame& frame) {
    Bytes out(frame.bytes.begin() + frame_header_size, frame.bytes.end());
    if (frame.block) out.insert(out.end(), frame.block->view().begin(), frame.block->view().end());
    return out;
}

// Hands the connection's receipts to `sink` until none waits.
inline void record_receipts(HandshakeConnection& node, ReceiptSink& sink) {
    while (auto receipt = node.take_receipt_to_record()) {
        const uint64_t amount = receipt->receipt.amount;
        sink.record(*receipt, [&node, amount](Result<void, ReceiptSinkError> result) { node.receipt_recorded(amount, result); });
    }
}

// Moves frames both ways until neither side has anything to send, recording receipts through
// `sink` when one is given. Returns the client's first error, if any.
inline std::optional<ClientError> run(HandshakeConnection& node, HandshakeClient& client, uint64_t now_ms,
                                      bool client_sends = true, ReceiptSink* sink = nullptr) {
    std::optional<ClientError> error;
    for (int round = 0; round < 1'000'000; ++round) {
        auto frame = node.next_frame(now_ms);
        if (!frame) break;
        std::vector<Bytes> replies;
        auto fed = client.on_frame(payload(*frame), replies);
        if (!fed && !error) error = fed.error();
        if (!client_sends) continue;
        for (const Bytes& reply : replies) {
            node.on_frame(ByteSpan(reply).subspan(frame_header_size), now_ms);
            if (sink) record_receipts(node, *sink);
        }
    }
    return error;
}

inline std::optional<ClientError> NodeFixture::run(HandshakeConnection& node, HandshakeClient& client, uint64_t now_ms, bool client_sends) {
    return testing::run(node, client, now_ms, client_sends, &sink);
}

inline void NodeFixture::feed(HandshakeConnection& node, ByteSpan payload, uint64_t now_ms) {
    node.on_frame(payload, now_ms);
    record_receipts(node, sink);
}

inline std::vector<NodeFrame> decode_all(HandshakeConnection& node, uint64_t now_ms, std::vector<Bytes>& storage) {
    std::vector<NodeFrame> frames;
    while (auto frame = node.next_frame(now_ms)) {
        storage.push_back(payload(*frame));
    }
    for (const Bytes& p : storage) frames.push_back(decode_node_frame(p).value());
    return frames;
}

}  // namespace fleek::edge::handshake::testing
