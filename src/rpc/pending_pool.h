// The transactions a node took from clients (flk_send_txn) and has not seen execute, by sender
// and nonce: what flk_get_pending_nonce counts and what flk_send_txn checks a new transaction
// against (docs/rpc.md §Nonces).
//
// - A sender's pending nonce is its committed nonce, then every following nonce that has a
//   pending transaction, without a gap: the next transaction takes pending nonce + 1.
// - A second transaction with a nonce that is pending already is refused (nonce_pending); the
//   same transaction again is accepted as already pending. A nonce more than nonce_ahead_max past
//   the committed nonce is refused (nonce_too_far_ahead): the committee's workers hold that many
//   out-of-order nonces of a sender at most.
// - An entry leaves when its transaction has a receipt (whatever its status: a rejected one did
//   not use its nonce), when the committed nonce passes it, or ttl_ms after it was taken (the
//   node routes a transaction again for about 75 s, then gives up: the client sends it again).
// - At most entries_max entries: beyond that, new transactions are refused (unavailable).
//
// Thread-safe. Deterministic: the time is an argument.
#pragma once

#include "crypto/hash.h"
#include "ledger/transaction.h"
#include "rpc/backend.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace fleek::rpc {

struct PendingPoolOptions {
    size_t entries_max = 16'384;
    uint64_t ttl_ms = 120'000;
    uint64_t nonce_ahead_max = 64;
};

class PendingPool {
public:
    // Whether a transaction has a receipt (executed, in any status).
    using HasReceipt = std::function<bool(const crypto::Hash32& digest)>;
    enum class Admitted : uint8_t { added, already_pending };

    explicit PendingPool(PendingPoolOptions options = {}) : m_options(options) {}

    // Records a checked transaction (nonce > committed_nonce) unless its nonce is taken by
    // another pending one or too far ahead.
    Result<Admitted, SubmitError> admit(const ledger::Sender& sender, uint64_t nonce, const crypto::Hash32& digest,
                                        uint64_t committed_nonce, uint64_t now_ms, const HasReceipt& has_receipt);
    PendingNonce pending_nonce(const ledger::Sender& sender, uint64_t committed_nonce, uint64_t now_ms,
                               const HasReceipt& has_receipt);
    // Drops a transaction that was admitted but could not be relayed after all.
    void forget(const crypto::Hash32& digest);
    size_t size() const;
    const PendingPoolOptions& options() const { return m_options; }

private:
    struct Entry {
        crypto::Hash32 digest{};
        uint64_t added_ms = 0;
    };
    using Nonces = std::map<uint64_t, Entry>;

    void expire(uint64_t now_ms);
    Nonces* prune_sender(const Bytes& sender, uint64_t committed_nonce, uint64_t now_ms, const HasReceipt& has_receipt);
    void erase(const Bytes& sender, Nonces& nonces, Nonces::iterator it);

    PendingPoolOptions m_options;
    mutable std::mutex m_mutex;
    std::map<Bytes, Nonces> m_by_sender;
    std::map<crypto::Hash32, std::pair<Bytes, uint64_t>> m_by_digest;  // digest -> (sender, nonce)
    std::multimap<uint64_t, crypto::Hash32> m_by_time;                  // added_ms -> digest
};

// The sender as a key: a tag (0 node, 1 consensus, 2 account) and the key or address bytes.
Bytes sender_bytes(const ledger::Sender& sender);

}  // namespace fleek::rpc
