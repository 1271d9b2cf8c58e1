#include "node/chain.h"

#include "util/assert.h"
#include "util/log.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <set>

namespace fleek::node {

std::string_view to_string(ChainError error) noexcept {
    switch (error) {
        case ChainError::storage: return "the chain store or the ledger could not write";
        case ChainError::not_next: return "block is not at the next height";
        case ChainError::wrong_parent: return "block does not extend our head";
        case ChainError::wrong_epoch: return "block is not of the current epoch";
        case ChainError::bad_certificate: return "certificate or signature does not verify for this block";
        case ChainError::state_mismatch: return "executing the block gave another state root than the certificate";
        case ChainError::invalid_block: return "the ledger refused the block";
        case ChainError::unknown_block: return "no such block here";
    }
    return "chain error";
}

// ---- the chain store (docs/formats/chain.md §Store) -------------------------------------------

namespace {

constexpr uint8_t block_prefix = 'b';
constexpr uint8_t certificate_prefix = 'c';
constexpr uint8_t transaction_prefix = 't';

Bytes height_key(uint8_t prefix, uint64_t height) {
    Bytes key(9);
    key[0] = prefix;
    for (int i = 0; i < 8; ++i) key[1 + i] = static_cast<uint8_t>(height >> (56 - 8 * i));
    return key;
}

Bytes digest_key(const Hash32& digest) {
    Bytes key(1 + digest.size());
    key[0] = transaction_prefix;
    std::copy(digest.begin(), digest.end(), key.begin() + 1);
    return key;
}

rocksdb::Slice slice(ByteSpan bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
ByteSpan span(const rocksdb::Slice& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// A stored block: the block, the state root after it and its receipts.
struct StoredBlock {
    ChainBlock block;
    Hash32 state_root{};
    ledger::ReceiptList receipts;

    void encode(codec::Writer& w) const {
        block.encode(w);
        w.fixed(state_root);
        receipts.encode(w);
    }
    static Result<StoredBlock, codec::DecodeError> decode(codec::Reader& r) {
        auto block = ChainBlock::decode(r);
        if (!block) return fail(block.error());
        auto root = r.array<32>();
        if (!root) return fail(root.error());
        auto receipts = ledger::ReceiptList::decode(r);
        if (!receipts) return fail(receipts.error());
        return StoredBlock{std::move(*block), *root, std::move(*receipts)};
    }
};

}  // namespace

struct Chain::Impl {
    rocksdb::DB* db = nullptr;
    bool sync_writes = true;

    ~Impl() {
        if (db != nullptr) {
            db->Close();
            delete db;
        }
    }

    std::optional<Bytes> get(const Bytes& key) const {
        std::string value;
        const rocksdb::Status status = db->Get(rocksdb::ReadOptions(), slice(key), &value);
        if (!status.ok()) return std::nullopt;
        return Bytes(value.begin(), value.end());
    }

    bool write(rocksdb::WriteBatch& batch) {
        rocksdb::WriteOptions options;
        options.sync = sync_writes;
        const rocksdb::Status status = db->Write(options, &batch);
        if (!status.ok()) FLEEK_LOG_ERROR("chain", "chain store write failed: {}", status.ToString());
        return status.ok();
    }

    std::optional<StoredBlock> stored_block(uint64_t height) const {
        auto bytes = get(height_key(block_prefix, height));
        if (!bytes) return std::nullopt;
        auto decoded = codec::decode<StoredBlock>(*bytes);
        if (!decoded) {
            FLEEK_LOG_ERROR("chain", "stored block {} does not decode", height);
            return std::nullopt;
        }
        return std::move(*decoded);
    }

    // The highest key with `prefix`, as a height (0 when none).
    uint64_t top(uint8_t prefix) const {
        std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
        const Bytes last = height_key(prefix, ~uint64_t{0});
        it->SeekForPrev(slice(last));
        if (!it->Valid()) return 0;
        const ByteSpan key = span(it->key());
        if (key.size() != 9 || key[0] != prefix) return 0;
        uint64_t height = 0;
        for (int i = 0; i < 8; ++i) height = (height << 8) | key[1 + i];
        return height;
    }

    bool put_block(const ChainBlock& block, const ledger::BlockResult& result) {
        rocksdb::WriteBatch batch;
        const StoredBlock stored{block, result.state_root, ledger::ReceiptList{result.receipts}};
        batch.Put(slice(height_key(block_prefix, block.block.height)), slice(codec::encode(stored)));
        // The first execution of a digest is where it landed; a replay (rejected later) is not.
        std::set<Hash32> seen;
        for (size_t i = 0; i < result.receipts.size(); ++i) {
            const Hash32& digest = result.receipts[i].digest;
            const Bytes key = digest_key(digest);
            if (!seen.insert(digest).second || get(key)) continue;
            codec::Writer w;
            w.u64(block.block.height);
            w.u32(static_cast<uint32_t>(i));
            result.receipts[i].encode(w);
            batch.Put(slice(key), slice(w.view()));
        }
        return write(batch);
    }

    bool put_certificate(const ledger::BlockCertificate& certificate) {
        rocksdb::WriteBatch batch;
        batch.Put(slice(height_key(certificate_prefix, certificate.height)), slice(codec::encode(certificate)));
        return write(batch);
    }
};

// ---- Chain -----------------------------------------------------------------------------------

Chain::Chain(std::unique_ptr<Impl> impl, std::unique_ptr<ledger::Ledger> ledger, ChainOptions options)
    : m_impl(std::move(impl)), m_ledger(std::move(ledger)), m_options(std::move(options)) {}

Chain::~Chain() = default;

Result<std::unique_ptr<Chain>, std::string> Chain::open(const std::filesystem::path& ledger_dir,
                                                        const std::filesystem::path& chain_dir, const ledger::Genesis& genesis,
                                                        ChainOptions options) {
    std::error_code error;
    std::filesystem::create_directories(chain_dir, error);
    if (error) return fail(fmt::format("cannot create {}: {}", chain_dir.string(), error.message()));
    auto impl = std::make_unique<Impl>();
    impl->sync_writes = options.sync_writes;
    rocksdb::Options db_options;
    db_options.create_if_missing = true;
    db_options.max_open_files = 256;
    // Every executed transaction asks whether its digest is indexed already; nearly all are not,
    // and the bloom filter answers that without reading table blocks.
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    db_options.memtable_whole_key_filtering = true;
    db_options.memtable_prefix_bloom_size_ratio = 0.02;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status status = rocksdb::DB::Open(db_options, chain_dir.string(), &db);
    if (!status.ok()) return fail(fmt::format("cannot open the chain store in {}: {}", chain_dir.string(), status.ToString()));
    impl->db = db;
    auto ledger = ledger::Ledger::open(ledger_dir, genesis, options.ledger);
    if (!ledger) return fail(fmt::format("cannot open the ledger: {}", ledger.error().message));
    std::unique_ptr<Chain> chain(new Chain(std::move(impl), std::move(*ledger), std::move(options)));
    if (auto recovered = chain->recover(); !recovered) return fail(recovered.error());
    return chain;
}

Result<void, std::string> Chain::recover() {
    const uint64_t stored_top = m_impl->top(block_prefix);
    if (stored_top < m_ledger->height()) {
        return fail(fmt::format("the chain store ends at height {} but the ledger is at {}: the chain store is damaged",
                                stored_top, m_ledger->height()));
    }
    // Blocks the store has and the ledger did not commit (a crash between the two writes).
    while (m_ledger->height() < stored_top) {
        const uint64_t next = m_ledger->height() + 1;
        auto stored = m_impl->stored_block(next);
        if (!stored) return fail(fmt::format("stored block {} is missing or damaged", next));
        bool mismatch = false;
        auto executed = m_ledger->execute(stored->block.block, [&](const ledger::BlockResult& result) {
            mismatch = result.state_root != stored->state_root;
            return !mismatch;
        });
        if (!executed) {
            return fail(fmt::format("re-executing stored block {} failed: {}", next,
                                    mismatch ? "another state root than stored" : ledger::to_string(executed.error())));
        }
        FLEEK_LOG_INFO("chain", "re-executed stored block {} after a restart", next);
    }
    if (m_ledger->height() > 0) {
        auto head = m_impl->stored_block(m_ledger->height());
        if (!head) return fail(fmt::format("stored block {} is missing or damaged", m_ledger->height()));
        if (head->state_root != m_ledger->state_root()) {
            return fail(fmt::format("the ledger's state root at height {} differs from the chain store's", m_ledger->height()));
        }
        m_head_digest = head->block.digest();
    }
    m_certified_height = m_impl->top(certificate_prefix);
    return {};
}

uint64_t Chain::next_output_index(ledger::Epoch epoch) const {
    if (height() == 0) return 0;
    auto head = m_impl->stored_block(height());
    FLEEK_ASSERT(head.has_value());  // recover() checked it, and execute() wrote every later one
    if (*head->block.block.epoch != epoch) return 0;
    return head->block.part + 1 < head->block.parts ? head->block.sub_dag_index : head->block.sub_dag_index + 1;
}

Result<std::vector<ExecutedBlock>, ChainError> Chain::execute_output(ledger::Epoch epoch,
                                                                     const consensus::CommittedOutput& output) {
    std::vector<ExecutedBlock> out;
    if (epoch != m_ledger->epoch() || output.transactions.empty()) return out;
    std::optional<StoredBlock> head = height() > 0 ? m_impl->stored_block(height()) : std::nullopt;
    uint32_t first_part = 0;
    if (head && *head->block.block.epoch == epoch) {
        if (output.sub_dag_index < head->block.sub_dag_index) return out;
        if (output.sub_dag_index == head->block.sub_dag_index) {
            if (head->block.part + 1 >= head->block.parts) return out;
            first_part = head->block.part + 1;
        }
    }
    std::vector<Bytes> transactions;
    transactions.reserve(output.transactions.size());
    for (const auto& ordered : output.transactions) transactions.push_back(ordered.bytes);
    auto parts = split_into_blocks(std::move(transactions));
    const uint64_t previous_ms = m_ledger->chain_info().block_timestamp_ms;
    for (uint32_t part = first_part; part < parts.size(); ++part) {
        ChainBlock block;
        block.block.height = height() + 1;
        block.block.epoch = epoch;
        block.block.timestamp_ms = std::max(output.timestamp_ms, previous_ms);
        block.block.transactions = std::move(parts[part]);
        block.sub_dag_index = output.sub_dag_index;
        block.part = part;
        block.parts = static_cast<uint32_t>(parts.size());
        block.parent = m_head_digest;
        auto executed = execute(block, std::nullopt);
        if (!executed) {
            // An epoch change inside the output: the rest belongs to a finished instance.
            if (executed.error() == ChainError::wrong_epoch) break;
            return fail(executed.error());
        }
        // Our own blocks collect the committee's signatures.
        const auto& result = executed->result;
        auto [it, inserted] = m_builders.try_emplace(result.height, epoch, result.height, executed->digest, result.state_root,
                                                     m_ledger->committee_members(epoch));
        (void)inserted;
        while (m_builders.size() > 256) m_builders.erase(m_builders.begin());
        out.push_back(std::move(*executed));
    }
    // Signatures that arrived before we executed these heights.
    while (!m_early_signatures.empty() && m_early_signatures.begin()->first <= height()) {
        auto signatures = std::move(m_early_signatures.begin()->second);
        m_early_signatures.erase(m_early_signatures.begin());
        for (const auto& signature : signatures) (void)collect(signature);
    }
    return out;
}

Result<ExecutedBlock, ChainError> Chain::execute(const ChainBlock& block, const std::optional<Hash32>& expected_root) {
    if (block.block.height != height() + 1) return fail(ChainError::not_next);
    if (block.parent != m_head_digest) return fail(ChainError::wrong_parent);
    if (!block.block.epoch || *block.block.epoch != m_ledger->epoch()) return fail(ChainError::wrong_epoch);
    bool mismatch = false;
    bool store_failed = false;
    auto result = m_ledger->execute(block.block, [&](const ledger::BlockResult& executed) {
        if (expected_root && executed.state_root != *expected_root) {
            mismatch = true;
            return false;
        }
        if ((m_options.before_record_write && !m_options.before_record_write(executed.height)) || !m_impl->put_block(block, executed)) {
            store_failed = true;
            return false;
        }
        return true;
    });
    if (!result) {
        if (mismatch) return fail(ChainError::state_mismatch);
        if (store_failed || result.error() == ledger::BlockError::storage) return fail(ChainError::storage);
        return fail(ChainError::invalid_block);
    }
    m_head_digest = block.digest();
    return ExecutedBlock{block, m_head_digest, std::move(*result)};
}

Result<ExecutedBlock, ChainError> Chain::execute_certified(const CertifiedBlock& certified) {
    const ChainBlock& block = certified.block;
    const ledger::BlockCertificate& certificate = certified.certificate;
    if (block.block.height != height() + 1) return fail(ChainError::not_next);
    if (!block.block.epoch || *block.block.epoch != m_ledger->epoch()) return fail(ChainError::wrong_epoch);
    if (certificate.height != block.block.height || certificate.epoch != *block.block.epoch ||
        certificate.block_digest != block.digest()) {
        return fail(ChainError::bad_certificate);
    }
    if (!certificate.verify(m_ledger->committee_members(certificate.epoch))) return fail(ChainError::bad_certificate);
    auto executed = execute(block, certificate.state_root);
    if (!executed) return fail(executed.error());
    if (!m_impl->put_certificate(certificate)) return fail(ChainError::storage);
    m_certified_height = std::max(m_certified_height, certificate.height);
    m_builders.erase(certificate.height);
    return executed;
}

Result<std::optional<ledger::BlockCertificate>, ChainError> Chain::add_signature(const BlockSignature& signature) {
    if (signature.height > height()) {
        if (signature.height > height() + m_options.signature_heights_ahead) return fail(ChainError::unknown_block);
        auto& waiting = m_early_signatures[signature.height];
        if (waiting.size() < ledger::BlockCertificate::signers_max) waiting.push_back(signature);
        return std::optional<ledger::BlockCertificate>{};
    }
    return collect(signature);
}

Result<std::optional<ledger::BlockCertificate>, ChainError> Chain::collect(const BlockSignature& signature) {
    auto it = m_builders.find(signature.height);
    if (it == m_builders.end()) {
        // Certified already (late signatures are normal), or a block we did not build ourselves.
        if (signature.height <= height()) return std::optional<ledger::BlockCertificate>{};
        return fail(ChainError::unknown_block);
    }
    auto signer = crypto::ConsensusPublicKey::from_bytes(signature.signer);
    auto bls_signature = crypto::ConsensusSignature::from_bytes(signature.signature);
    if (!signer || !bls_signature) return fail(ChainError::bad_certificate);
    switch (it->second.add(*signer, *bls_signature)) {
        case ledger::BlockCertificateBuilder::AddResult::added: break;
        case ledger::BlockCertificateBuilder::AddResult::duplicate: return std::optional<ledger::BlockCertificate>{};
        case ledger::BlockCertificateBuilder::AddResult::not_a_member:
        case ledger::BlockCertificateBuilder::AddResult::bad_signature: return fail(ChainError::bad_certificate);
    }
    if (!it->second.complete()) return std::optional<ledger::BlockCertificate>{};
    auto certificate = it->second.certificate();
    FLEEK_ASSERT(certificate.has_value());
    m_builders.erase(it);
    if (!m_impl->put_certificate(*certificate)) return fail(ChainError::storage);
    m_certified_height = std::max(m_certified_height, certificate->height);
    return certificate;
}

Result<void, ChainError> Chain::add_certificate(const ledger::BlockCertificate& certificate) {
    auto stored = m_impl->stored_block(certificate.height);
    if (!stored || certificate.height > height()) return fail(ChainError::unknown_block);
    if (certificate.block_digest != stored->block.digest() || certificate.state_root != stored->state_root ||
        certificate.epoch != *stored->block.block.epoch) {
        return fail(ChainError::bad_certificate);
    }
    if (m_impl->get(height_key(certificate_prefix, certificate.height))) return {};  // have one already
    if (!certificate.verify(m_ledger->committee_members(certificate.epoch))) return fail(ChainError::bad_certificate);
    if (!m_impl->put_certificate(certificate)) return fail(ChainError::storage);
    m_certified_height = std::max(m_certified_height, certificate.height);
    m_builders.erase(certificate.height);
    return {};
}

std::optional<ChainBlock> Chain::block(uint64_t height) const {
    auto stored = m_impl->stored_block(height);
    if (!stored) return std::nullopt;
    return std::move(stored->block);
}

std::optional<Hash32> Chain::state_root_at(uint64_t height) const {
    auto stored = m_impl->stored_block(height);
    if (!stored) return std::nullopt;
    return stored->state_root;
}

std::optional<ledger::BlockCertificate> Chain::certificate(uint64_t height) const {
    auto bytes = m_impl->get(height_key(certificate_prefix, height));
    if (!bytes) return std::nullopt;
    auto decoded = codec::decode<ledger::BlockCertificate>(*bytes);
    if (!decoded) return std::nullopt;
    return std::move(*decoded);
}

std::optional<CertifiedBlock> Chain::certified_block(uint64_t height) const {
    auto certificate = this->certificate(height);
    if (!certificate) return std::nullopt;
    auto block = this->block(height);
    if (!block) return std::nullopt;
    return CertifiedBlock{std::move(*block), std::move(*certificate)};
}

std::optional<std::vector<ledger::TransactionReceipt>> Chain::receipts(uint64_t height) const {
    auto stored = m_impl->stored_block(height);
    if (!stored) return std::nullopt;
    return std::move(stored->receipts.receipts);
}

std::optional<TransactionLocation> Chain::transaction(const Hash32& digest) const {
    auto bytes = m_impl->get(digest_key(digest));
    if (!bytes) return std::nullopt;
    codec::Reader r(*bytes);
    auto height = r.u64();
    auto index = r.u32();
    if (!height || !index) return std::nullopt;
    auto receipt = ledger::TransactionReceipt::decode(r);
    if (!receipt || !r.finish()) return std::nullopt;
    return TransactionLocation{*height, *index, std::move(*receipt)};
}

}  // namespace fleek::node
