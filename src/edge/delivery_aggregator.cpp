#include "edge/delivery_aggregator.h"

#include "codec/codec.h"
#include "crypto/keys.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <limits>

namespace fleek::edge {

namespace {

// On disk: epoch u64 big-endian ‖ client key [32] ‖ session id [16] → SignedDeliveryReceipt.
constexpr size_t db_key_size = 8 + 32 + 16;

rocksdb::Slice slice(ByteSpan bytes) { return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }

uint64_t saturating_add(uint64_t a, uint64_t b) {
    return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

// The ledger accepts receipts of its current and previous epoch only.
bool epoch_too_old(ledger::Epoch receipt_epoch, ledger::Epoch current) { return current > 0 && receipt_epoch < current - 1; }

}  // namespace

const char* to_string(AggregatorError error) {
    switch (error) {
        case AggregatorError::io: return "io";
        case AggregatorError::wrong_chain: return "wrong_chain";
        case AggregatorError::wrong_node: return "wrong_node";
        case AggregatorError::wrong_epoch: return "wrong_epoch";
        case AggregatorError::bad_signature: return "bad_signature";
        case AggregatorError::full: return "full";
    }
    return "unknown";
}

Result<std::unique_ptr<DeliveryAggregator>, AggregatorError> DeliveryAggregator::open(const std::filesystem::path& directory,
                                                                                      const DeliveryIdentity& identity,
                                                                                      const ClaimReader& claims,
                                                                                      DeliverySubmitter submit,
                                                                                      const DeliveryAggregatorOptions& options) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) return fail(AggregatorError::io);
    rocksdb::Options db_options;
    db_options.create_if_missing = true;
    db_options.compression = rocksdb::kNoCompression;  // signatures and keys do not compress
    db_options.max_background_jobs = 1;
    db_options.write_buffer_size = 8 << 20;
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::Open(db_options, directory.string(), &db).ok()) return fail(AggregatorError::io);
    std::unique_ptr<DeliveryAggregator> aggregator(new DeliveryAggregator(db, identity, claims, std::move(submit), options));
    if (auto loaded = aggregator->load(); !loaded) return fail(loaded.error());
    return aggregator;
}

DeliveryAggregator::DeliveryAggregator(rocksdb::DB* db, const DeliveryIdentity& identity, const ClaimReader& claims,
                                       DeliverySubmitter submit, const DeliveryAggregatorOptions& options)
    : m_db(db), m_identity(identity), m_claims(claims), m_submit(std::move(submit)), m_options(options) {
    m_options.batch_receipts_max = std::clamp<uint32_t>(m_options.batch_receipts_max, 1, ledger::delivery_receipts_per_tx_max);
}

DeliveryAggregator::~DeliveryAggregator() {
    if (m_db) {
        (void)m_db->Close();
        delete m_db;
    }
}

DeliveryAggregator::Key DeliveryAggregator::key_of(const ledger::SignedDeliveryReceipt& receipt) {
    return Key{receipt.client_key, receipt.receipt.epoch, receipt.receipt.session_id};
}

Bytes DeliveryAggregator::db_key(const Key& key) {
    Bytes out;
    out.reserve(db_key_size);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(key.epoch >> shift));
    out.insert(out.end(), key.client_key.begin(), key.client_key.end());
    out.insert(out.end(), key.session_id.begin(), key.session_id.end());
    return out;
}

// The disk is not trusted: an entry whose key, identity or signature does not match what
// record() would have stored is deleted and counted, never submitted.
Result<void, AggregatorError> DeliveryAggregator::load() {
    rocksdb::WriteBatch discard;
    {
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions()));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            const rocksdb::Slice k = it->key();
            const rocksdb::Slice v = it->value();
            const ByteSpan value(reinterpret_cast<const uint8_t*>(v.data()), v.size());
            auto receipt = codec::decode<ledger::SignedDeliveryReceipt>(value);
            const bool valid = receipt && receipt->receipt.chain_id == m_identity.chain_id &&
                               receipt->receipt.node == m_identity.node_key && k.size() == db_key_size &&
                               db_key(key_of(*receipt)) == Bytes(k.data(), k.data() + k.size()) &&
                               ledger::verify_delivery_receipt(*receipt);
            if (!valid) {
                if (!discard.Delete(k).ok()) return fail(AggregatorError::io);
                ++m_stats.discarded;
                continue;
            }
            m_entries.emplace(key_of(*receipt), Entry{*receipt, std::nullopt});
            m_amount_kept = saturating_add(m_amount_kept, receipt->receipt.amount);
        }
        if (!it->status().ok()) return fail(AggregatorError::io);
    }
    m_unsubmitted = m_entries.size();
    if (discard.Count() > 0 && !m_db->Write(rocksdb::WriteOptions(), &discard).ok()) return fail(AggregatorError::io);
    return {};
}

Result<RecordOutcome, AggregatorError> DeliveryAggregator::record(const ledger::SignedDeliveryReceipt& receipt) {
    return record_batch(std::span(&receipt, 1)).front();
}

std::vector<Result<RecordOutcome, AggregatorError>> DeliveryAggregator::record_batch(std::span<const ledger::SignedDeliveryReceipt> receipts) {
    std::vector<Result<RecordOutcome, AggregatorError>> results;
    results.reserve(receipts.size());
    // Checks without the lock: each client key is parsed (a point check) once per batch.
    const ledger::Epoch epoch = m_claims.epoch();
    std::map<ledger::ClientKeyBytes, std::optional<crypto::ClientPublicKey>> keys;
    for (const ledger::SignedDeliveryReceipt& receipt : receipts) {
        const ledger::DeliveryReceipt& r = receipt.receipt;
        if (r.chain_id != m_identity.chain_id) {
            results.emplace_back(fail(AggregatorError::wrong_chain));
        } else if (r.node != m_identity.node_key) {
            results.emplace_back(fail(AggregatorError::wrong_node));
        } else if (epoch_too_old(r.epoch, epoch) || (r.epoch > epoch && r.epoch - epoch > 1)) {
            results.emplace_back(fail(AggregatorError::wrong_epoch));
        } else {
            auto key = keys.find(receipt.client_key);
            if (key == keys.end()) {
                auto parsed = crypto::ClientPublicKey::from_bytes(receipt.client_key);
                key = keys.emplace(receipt.client_key, parsed ? std::optional(*parsed) : std::nullopt).first;
            }
            const auto signature = crypto::ClientSignature::from_bytes(receipt.signature);
            if (!key->second || !signature || !key->second->verify(r.digest(), *signature)) {
                results.emplace_back(fail(AggregatorError::bad_signature));
            } else {
                results.emplace_back(RecordOutcome::stored);  // if it is the newest: decided below
            }
        }
    }

    std::lock_guard lock(m_mutex);
    // The newest valid receipt of each session in the batch, unless the store holds as much.
    std::map<Key, size_t> newest;
    size_t new_sessions = 0;
    for (size_t i = 0; i < receipts.size(); ++i) {
        if (!results[i]) continue;
        const Key key = key_of(receipts[i]);
        const uint64_t amount = receipts[i].receipt.amount;
        const auto stored = m_entries.find(key);
        if (stored != m_entries.end() && stored->second.receipt.receipt.amount >= amount) {
            results[i] = RecordOutcome::not_newer;
            continue;
        }
        const auto [it, inserted] = newest.try_emplace(key, i);
        if (inserted) {
            if (stored == m_entries.end() && m_entries.size() + new_sessions >= m_options.sessions_max) {
                newest.erase(it);
                results[i] = fail(AggregatorError::full);
                continue;
            }
            if (stored == m_entries.end()) ++new_sessions;
        } else if (receipts[it->second].receipt.amount >= amount) {
            results[i] = RecordOutcome::not_newer;
        } else {
            results[it->second] = RecordOutcome::not_newer;  // superseded within the batch
            it->second = i;
        }
    }
    if (newest.empty()) return results;

    // One write, one sync, for every receipt of the batch (group commit).
    rocksdb::WriteBatch batch;
    bool encoded = true;
    for (const auto& [key, i] : newest) {
        const Bytes value = codec::encode(receipts[i]);
        encoded = encoded && batch.Put(slice(db_key(key)), slice(value)).ok();
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    if (!encoded || !m_db->Write(write_options, &batch).ok()) {
        for (const auto& [key, i] : newest) results[i] = fail(AggregatorError::io);
        return results;
    }
    ++m_stats.synced_writes;
    for (const auto& [key, i] : newest) {
        auto it = m_entries.find(key);
        if (it == m_entries.end()) {
            m_entries.emplace(key, Entry{receipts[i], std::nullopt});
            ++m_unsubmitted;
        } else {
            if (it->second.submitted_ms) ++m_unsubmitted;  // the newer amount has not been submitted
            m_amount_kept -= std::min(m_amount_kept, it->second.receipt.receipt.amount);
            it->second = Entry{receipts[i], std::nullopt};
        }
        m_amount_kept = saturating_add(m_amount_kept, receipts[i].receipt.amount);
    }
    return results;
}

DeliveryAggregator::Fate DeliveryAggregator::fate(const Entry& entry, ledger::Epoch epoch,
                                                  std::optional<ledger::NodeIndex> node) const {
    const ledger::DeliveryReceipt& r = entry.receipt.receipt;
    if (epoch_too_old(r.epoch, epoch)) return Fate::expired;
    const auto claim = m_claims.session_claim(r.epoch, entry.receipt.client_key, r.session_id);
    if (!claim) return Fate::keep;
    if (!node || claim->node != *node || claim->service != r.service) return Fate::foreign;
    return claim->claimed >= r.amount ? Fate::claimed : Fate::keep;
}

bool DeliveryAggregator::eligible(const Entry& entry, uint64_t now_ms) const {
    return !entry.submitted_ms || now_ms - std::min(now_ms, *entry.submitted_ms) >= m_options.resubmit_delay_ms;
}

// Due when batch_receipts_max wait, or batch_interval_ms after the last batch. Before the first
// poll there is no last batch: receipts reopened from disk are due at once, and an empty store
// starts its interval at the first poll.
bool DeliveryAggregator::batch_due(uint64_t now_ms) const {
    if (m_unsubmitted >= m_options.batch_receipts_max) return true;
    if (m_entries.empty()) return false;
    return !m_last_batch_ms || now_ms - std::min(now_ms, *m_last_batch_ms) >= m_options.batch_interval_ms;
}

Result<std::vector<DeliveryAggregator::Key>, AggregatorError> DeliveryAggregator::collect_batch(uint64_t now_ms) {
    const ledger::Epoch epoch = m_claims.epoch();
    const std::optional<ledger::NodeIndex> node = m_claims.node_index();
    std::vector<Key> batch;
    std::vector<std::pair<Key, Fate>> settled;
    // Every entry's fate is looked at, submitted or not: a receipt the ledger claimed is dropped at
    // the first due poll after the claim, not only once its resubmission delay has passed.
    for (const auto& [key, entry] : m_entries) {
        const Fate f = fate(entry, epoch, node);
        if (f != Fate::keep) {
            settled.emplace_back(key, f);
        } else if (batch.size() < m_options.batch_receipts_max && eligible(entry, now_ms)) {
            batch.push_back(key);
        }
    }
    if (settled.empty()) return batch;
    rocksdb::WriteBatch deletions;
    for (const auto& [key, f] : settled) {
        if (!deletions.Delete(slice(db_key(key))).ok()) return fail(AggregatorError::io);
    }
    // Not synced: a deletion lost in a crash is found settled again after the reopen.
    if (!m_db->Write(rocksdb::WriteOptions(), &deletions).ok()) return fail(AggregatorError::io);
    for (const auto& [key, f] : settled) {
        auto it = m_entries.find(key);
        if (!it->second.submitted_ms) --m_unsubmitted;
        m_amount_kept -= std::min(m_amount_kept, it->second.receipt.receipt.amount);
        m_entries.erase(it);
        switch (f) {
            case Fate::claimed: ++m_stats.claimed; break;
            case Fate::expired: ++m_stats.expired; break;
            case Fate::foreign: ++m_stats.foreign; break;
            case Fate::keep: break;
        }
    }
    return batch;
}

Result<size_t, AggregatorError> DeliveryAggregator::poll(uint64_t now_ms) {
    std::lock_guard lock(m_mutex);
    size_t batches = 0;
    while (batch_due(now_ms)) {
        auto keys = collect_batch(now_ms);
        if (!keys) return fail(keys.error());
        if (keys->empty()) {
            m_last_batch_ms = now_ms;  // nothing eligible: look again at the next interval
            break;
        }
        std::vector<ledger::SignedDeliveryReceipt> receipts;
        receipts.reserve(keys->size());
        for (const Key& key : *keys) receipts.push_back(m_entries.at(key).receipt);
        if (!m_submit(receipts)) break;  // still due at the next poll
        for (const Key& key : *keys) {
            Entry& entry = m_entries.at(key);
            if (!entry.submitted_ms) --m_unsubmitted;
            entry.submitted_ms = now_ms;
        }
        m_last_batch_ms = now_ms;
        ++m_stats.submitted_batches;
        ++batches;
    }
    if (!m_last_batch_ms) m_last_batch_ms = now_ms;
    return batches;
}

std::map<ledger::ServiceId, uint64_t> DeliveryAggregator::unexecuted_units(const ledger::ClientKeyBytes& client_key) const {
    std::lock_guard lock(m_mutex);
    const ledger::Epoch epoch = m_claims.epoch();
    const std::optional<ledger::NodeIndex> node = m_claims.node_index();
    std::map<ledger::ServiceId, uint64_t> out;
    for (auto it = m_entries.lower_bound(Key{client_key, 0, {}}); it != m_entries.end() && it->first.client_key == client_key; ++it) {
        const ledger::DeliveryReceipt& r = it->second.receipt.receipt;
        if (epoch_too_old(r.epoch, epoch)) continue;  // the ledger will not charge it
        uint64_t claimed = 0;
        if (const auto claim = m_claims.session_claim(r.epoch, client_key, r.session_id)) {
            if (!node || claim->node != *node || claim->service != r.service) continue;  // never counts
            claimed = claim->claimed;
        }
        if (r.amount > claimed) out[r.service] = saturating_add(out[r.service], r.amount - claimed);
    }
    return out;
}

AggregatorStats DeliveryAggregator::stats() const {
    std::lock_guard lock(m_mutex);
    AggregatorStats out = m_stats;
    out.stored = m_entries.size();
    out.unsubmitted = m_unsubmitted;
    out.amount_kept = m_amount_kept;
    return out;
}

}  // namespace fleek::edge
