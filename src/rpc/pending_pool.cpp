#include "rpc/pending_pool.h"

#include "codec/codec.h"

namespace fleek::rpc {

Bytes sender_bytes(const ledger::Sender& sender) {
    codec::Writer w;
    std::visit(
        [&](const auto& typed) {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, ledger::AccountSender>) {
                w.u8(2), w.fixed(typed.address);
            } else if constexpr (std::is_same_v<T, ledger::NodeSender>) {
                w.u8(0), w.fixed(typed.key);
            } else {
                w.u8(1), w.fixed(typed.key);
            }
        },
        sender);
    return w.take();
}

void PendingPool::erase(const Bytes& sender, Nonces& nonces, Nonces::iterator it) {
    const crypto::Hash32 digest = it->second.digest;
    const uint64_t added_ms = it->second.added_ms;
    auto range = m_by_time.equal_range(added_ms);
    for (auto t = range.first; t != range.second; ++t) {
        if (t->second == digest) {
            m_by_time.erase(t);
            break;
        }
    }
    m_by_digest.erase(digest);
    nonces.erase(it);
    if (nonces.empty()) m_by_sender.erase(sender);
}

void PendingPool::expire(uint64_t now_ms) {
    while (!m_by_time.empty() && m_by_time.begin()->first + m_options.ttl_ms <= now_ms) {
        const crypto::Hash32 digest = m_by_time.begin()->second;
        auto found = m_by_digest.find(digest);
        if (found == m_by_digest.end()) {
            m_by_time.erase(m_by_time.begin());
            continue;
        }
        const auto [sender, nonce] = found->second;
        auto& nonces = m_by_sender.at(sender);
        erase(sender, nonces, nonces.find(nonce));
    }
}

PendingPool::Nonces* PendingPool::prune_sender(const Bytes& sender, uint64_t committed_nonce, uint64_t now_ms,
                                               const HasReceipt& has_receipt) {
    expire(now_ms);
    auto found = m_by_sender.find(sender);
    if (found == m_by_sender.end()) return nullptr;
    Nonces& nonces = found->second;
    for (auto it = nonces.begin(); it != nonces.end();) {
        const auto next = std::next(it);
        const bool last = next == nonces.end();
        if (it->first <= committed_nonce || has_receipt(it->second.digest)) {
            erase(sender, nonces, it);
            if (last) return nullptr;  // erase() may have removed the sender's map
        }
        it = next;
    }
    return m_by_sender.count(sender) != 0 ? &m_by_sender.at(sender) : nullptr;
}

Result<PendingPool::Admitted, SubmitError> PendingPool::admit(const ledger::Sender& sender, uint64_t nonce,
                                                             const crypto::Hash32& digest, uint64_t committed_nonce,
                                                             uint64_t now_ms, const HasReceipt& has_receipt) {
    std::lock_guard lock(m_mutex);
    if (nonce <= committed_nonce) return fail(SubmitError::bad_nonce);
    if (nonce - committed_nonce > m_options.nonce_ahead_max) return fail(SubmitError::nonce_too_far_ahead);
    const Bytes key = sender_bytes(sender);
    if (Nonces* nonces = prune_sender(key, committed_nonce, now_ms, has_receipt)) {
        if (auto taken = nonces->find(nonce); taken != nonces->end()) {
            if (taken->second.digest == digest) return Admitted::already_pending;
            return fail(SubmitError::nonce_pending);
        }
    }
    if (m_by_digest.size() >= m_options.entries_max) return fail(SubmitError::unavailable);
    m_by_sender[key].emplace(nonce, Entry{digest, now_ms});
    m_by_digest.emplace(digest, std::make_pair(key, nonce));
    m_by_time.emplace(now_ms, digest);
    return Admitted::added;
}

PendingNonce PendingPool::pending_nonce(const ledger::Sender& sender, uint64_t committed_nonce, uint64_t now_ms,
                                        const HasReceipt& has_receipt) {
    std::lock_guard lock(m_mutex);
    PendingNonce out{committed_nonce, committed_nonce, 0};
    const Nonces* nonces = prune_sender(sender_bytes(sender), committed_nonce, now_ms, has_receipt);
    if (nonces == nullptr) return out;
    out.pending = nonces->size();
    for (const auto& [nonce, entry] : *nonces) {
        if (nonce != out.pending_nonce + 1) break;
        out.pending_nonce = nonce;
    }
    return out;
}

void PendingPool::forget(const crypto::Hash32& digest) {
    std::lock_guard lock(m_mutex);
    auto found = m_by_digest.find(digest);
    if (found == m_by_digest.end()) return;
    const auto [sender, nonce] = found->second;
    auto& nonces = m_by_sender.at(sender);
    erase(sender, nonces, nonces.find(nonce));
}

size_t PendingPool::size() const {
    std::lock_guard lock(m_mutex);
    return m_by_digest.size();
}

}  // namespace fleek::rpc
