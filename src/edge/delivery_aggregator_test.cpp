// The receipt aggregator: newest receipt per session, persisted before ok, batches by count and
// by time, resubmission, settlement by the ledger's claims, and recovery after kill -9.
#include "edge/delivery_aggregator.h"

#include "tests/support/files.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

namespace fleek::edge {
namespace {

using ledger::SignedDeliveryReceipt;
using testing::ScratchDirectory;

constexpr uint64_t chain_id = 59330;
constexpr ledger::NodeIndex our_index = 2;

const crypto::NodeSecretKey& node_key() {
    static const auto key = crypto::NodeSecretKey::from_seed(Bytes(32, 0x4e)).value();
    return key;
}
const crypto::ClientSecretKey& client(uint8_t which) {
    static std::map<uint8_t, crypto::ClientSecretKey> keys;
    auto it = keys.find(which);
    if (it == keys.end()) it = keys.emplace(which, crypto::ClientSecretKey::from_seed(Bytes(32, which)).value()).first;
    return it->second;
}

DeliveryIdentity identity() { return DeliveryIdentity{chain_id, node_key().public_key().bytes()}; }

SignedDeliveryReceipt receipt(uint8_t client_seed, uint8_t session, ledger::Epoch epoch, uint64_t amount, ledger::ServiceId service = 0) {
    ledger::DeliveryReceipt r;
    r.chain_id = chain_id;
    r.node = node_key().public_key().bytes();
    r.service = service;
    r.session_id.fill(session);
    r.epoch = epoch;
    r.amount = amount;
    return ledger::sign_delivery_receipt(r, client(client_seed));
}

// The ledger as the aggregator sees it: an epoch, our index, and session claims that execute()
// writes the way SubmitDeliveryAcknowledgments does.
class FakeLedger final : public ClaimReader {
public:
    ledger::Epoch epoch() const override { return m_epoch; }
    std::optional<ledger::NodeIndex> node_index() const override { return our_index; }
    std::optional<ledger::SessionClaim> session_claim(ledger::Epoch epoch, const ledger::ClientKeyBytes& client_key,
                                                      const ledger::SessionId& session_id) const override {
        auto it = m_claims.find({epoch, client_key, session_id});
        if (it == m_claims.end()) return std::nullopt;
        return it->second;
    }
    void execute(const std::vector<SignedDeliveryReceipt>& receipts, ledger::NodeIndex node = our_index) {
        for (const auto& r : receipts) {
            auto& claim = m_claims.try_emplace({r.receipt.epoch, r.client_key, r.receipt.session_id},
                                               ledger::SessionClaim{node, r.receipt.service, 0, 0, 0})
                              .first->second;
            if (claim.node == node && claim.service == r.receipt.service) claim.claimed = std::max(claim.claimed, r.receipt.amount);
        }
    }
    ledger::Epoch m_epoch = 5;

private:
    std::map<std::tuple<ledger::Epoch, ledger::ClientKeyBytes, ledger::SessionId>, ledger::SessionClaim> m_claims;
};

// Every batch handed to the submitter; `accept` says whether it reached consensus.
struct Submissions {
    std::vector<std::vector<SignedDeliveryReceipt>> batches;
    bool accept = true;
    DeliverySubmitter submitter() {
        return [this](const std::vector<SignedDeliveryReceipt>& receipts) {
            batches.push_back(receipts);
            return accept;
        };
    }
    std::vector<SignedDeliveryReceipt> all() const {
        std::vector<SignedDeliveryReceipt> out;
        for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
        return out;
    }
};

class Aggregator : public ::testing::Test {
protected:
    std::unique_ptr<DeliveryAggregator> open(const DeliveryAggregatorOptions& options = {}) {
        auto opened = DeliveryAggregator::open(dir / "receipts", identity(), ledger, submissions.submitter(), options);
        EXPECT_TRUE(opened.has_value()) << (opened ? "" : to_string(opened.error()));
        return opened ? std::move(*opened) : nullptr;
    }
    static RecordOutcome stored(DeliveryAggregator& aggregator, const SignedDeliveryReceipt& r) {
        auto outcome = aggregator.record(r);
        EXPECT_TRUE(outcome.has_value()) << (outcome ? "" : to_string(outcome.error()));
        return outcome.value_or(RecordOutcome::not_newer);
    }

    ScratchDirectory dir;
    FakeLedger ledger;
    Submissions submissions;
};

TEST_F(Aggregator, KeepsTheNewestReceiptOfEachSession) {
    auto aggregator = open();
    EXPECT_EQ(stored(*aggregator, receipt(1, 1, 5, 100)), RecordOutcome::stored);
    EXPECT_EQ(stored(*aggregator, receipt(1, 1, 5, 300)), RecordOutcome::stored);
    EXPECT_EQ(stored(*aggregator, receipt(1, 1, 5, 200)), RecordOutcome::not_newer);  // older
    EXPECT_EQ(stored(*aggregator, receipt(1, 1, 5, 300)), RecordOutcome::not_newer);  // equal
    EXPECT_EQ(stored(*aggregator, receipt(1, 2, 5, 50)), RecordOutcome::stored);      // another session
    EXPECT_EQ(stored(*aggregator, receipt(1, 1, 4, 10)), RecordOutcome::stored);      // same session id, previous epoch
    EXPECT_EQ(stored(*aggregator, receipt(2, 1, 5, 70)), RecordOutcome::stored);      // another client
    EXPECT_EQ(aggregator->stats().stored, 4u);
    EXPECT_EQ(aggregator->poll(0).value(), 1u);
    const auto submitted = submissions.all();
    ASSERT_EQ(submitted.size(), 4u);
    const std::set<uint64_t> amounts = [&] {
        std::set<uint64_t> out;
        for (const auto& r : submitted) out.insert(r.receipt.amount);
        return out;
    }();
    EXPECT_EQ(amounts, (std::set<uint64_t>{300, 50, 10, 70}));
    EXPECT_NE(std::find(submitted.begin(), submitted.end(), receipt(1, 1, 5, 300)), submitted.end());
}

TEST_F(Aggregator, RefusesWhatTheLedgerWouldRefuseAndStoresNothing) {
    auto aggregator = open();
    auto wrong_chain = receipt(1, 1, 5, 10);
    wrong_chain.receipt.chain_id += 1;
    wrong_chain = ledger::sign_delivery_receipt(wrong_chain.receipt, client(1));
    EXPECT_EQ(aggregator->record(wrong_chain).error(), AggregatorError::wrong_chain);
    auto other_node = receipt(1, 1, 5, 10).receipt;
    other_node.node[0] ^= 1;
    EXPECT_EQ(aggregator->record(ledger::sign_delivery_receipt(other_node, client(1))).error(), AggregatorError::wrong_node);
    EXPECT_EQ(aggregator->record(receipt(1, 1, 3, 10)).error(), AggregatorError::wrong_epoch);  // ledger at 5 takes 4 and 5
    EXPECT_EQ(aggregator->record(receipt(1, 1, 7, 10)).error(), AggregatorError::wrong_epoch);
    auto forged = receipt(1, 1, 5, 10);
    forged.receipt.amount = 1'000'000;
    EXPECT_EQ(aggregator->record(forged).error(), AggregatorError::bad_signature);
    EXPECT_EQ(aggregator->stats().stored, 0u);
    aggregator.reset();
    aggregator = open();
    EXPECT_EQ(aggregator->stats().stored, 0u);
    EXPECT_EQ(aggregator->poll(0).value(), 0u);
    EXPECT_TRUE(submissions.batches.empty());
}

TEST_F(Aggregator, RecordedReceiptsSurviveAReopen) {
    auto aggregator = open();
    stored(*aggregator, receipt(1, 1, 5, 100));
    stored(*aggregator, receipt(1, 1, 5, 250));
    stored(*aggregator, receipt(2, 9, 4, 40));
    aggregator.reset();  // no poll, no shutdown step of its own
    aggregator = open();
    EXPECT_EQ(aggregator->stats().stored, 2u);
    EXPECT_EQ(aggregator->unexecuted_units(client(1).public_key().bytes()), (std::map<ledger::ServiceId, uint64_t>{{0, 250}}));
    EXPECT_EQ(aggregator->poll(0).value(), 1u);
    EXPECT_EQ(submissions.all().size(), 2u);
}

// Group commit: a batch of receipts is one synced write (counted by synced_writes), each receipt
// gets its own outcome, and every stored one is there after a reopen.
TEST_F(Aggregator, ABatchOfReceiptsIsStoredWithOneSyncedWrite) {
    auto aggregator = open();
    stored(*aggregator, receipt(1, 0, 5, 500));
    EXPECT_EQ(aggregator->stats().synced_writes, 1u);
    std::vector<SignedDeliveryReceipt> batch;
    for (uint8_t session = 1; session <= 20; ++session) batch.push_back(receipt(1 + session % 3, session, 5, 100 + session));
    batch.push_back(receipt(1, 0, 5, 400));   // [20] older than what the store holds
    batch.push_back(receipt(2, 7, 5, 900));   // [21] newer than batch[6] (client 2, session 7)
    batch.push_back(receipt(2, 7, 5, 300));   // [22] older than [21]
    batch.push_back(receipt(1, 30, 5, 10));   // [23] forged below
    batch.back().receipt.amount = 11;
    batch.push_back(receipt(1, 31, 9, 10));   // [24] an epoch the ledger will not take
    const auto results = aggregator->record_batch(batch);
    ASSERT_EQ(results.size(), batch.size());
    EXPECT_EQ(aggregator->stats().synced_writes, 2u);  // the whole batch: one more
    for (size_t i = 0; i < 20; ++i) EXPECT_EQ(results[i].value(), i == 6 ? RecordOutcome::not_newer : RecordOutcome::stored) << i;
    EXPECT_EQ(results[20].value(), RecordOutcome::not_newer);
    EXPECT_EQ(results[21].value(), RecordOutcome::stored);
    EXPECT_EQ(results[22].value(), RecordOutcome::not_newer);
    EXPECT_EQ(results[23].error(), AggregatorError::bad_signature);
    EXPECT_EQ(results[24].error(), AggregatorError::wrong_epoch);
    EXPECT_EQ(aggregator->stats().stored, 21u);
    const auto before = aggregator->unexecuted_units(client(2).public_key().bytes());

    // A batch with nothing newer writes nothing.
    EXPECT_EQ(aggregator->record_batch(std::span(batch).first(3)).front().value(), RecordOutcome::not_newer);
    EXPECT_EQ(aggregator->stats().synced_writes, 2u);

    aggregator.reset();
    aggregator = open();
    EXPECT_EQ(aggregator->stats().stored, 21u);
    EXPECT_EQ(aggregator->stats().discarded, 0u);
    EXPECT_EQ(aggregator->unexecuted_units(client(2).public_key().bytes()), before);
    EXPECT_EQ(before.at(0), 900u + 101 + 104 + 110 + 113 + 116 + 119);  // client 2: sessions 1, 4, (7: 900), 10, 13, 16, 19
    EXPECT_EQ(aggregator->unexecuted_units(client(1).public_key().bytes()).at(0), 500u + 103 + 106 + 109 + 112 + 115 + 118);
    EXPECT_EQ(aggregator->poll(0).value(), 1u);
    EXPECT_EQ(submissions.all().size(), 21u);
}

// amount_kept (the node's fleek_delivery_receipt_amount_kept gauge, which the kill -9 e2e test
// waits on) is the sum of the newest stored amount of each session: a newer receipt replaces its
// session's amount, an older one changes nothing, a reopen finds the same sum, a claim removes it.
TEST_F(Aggregator, TheAmountKeptIsTheSumOfTheNewestStoredReceipts) {
    auto aggregator = open();
    EXPECT_EQ(aggregator->stats().amount_kept, 0u);
    stored(*aggregator, receipt(1, 1, 5, 100));
    stored(*aggregator, receipt(1, 2, 5, 40));
    EXPECT_EQ(aggregator->stats().amount_kept, 140u);
    const auto results = aggregator->record_batch(std::vector{receipt(1, 1, 5, 250), receipt(1, 1, 5, 90), receipt(2, 3, 4, 7)});
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(aggregator->stats().amount_kept, 250u + 40 + 7);
    EXPECT_EQ(aggregator->record(receipt(1, 2, 5, 30)).value(), RecordOutcome::not_newer);
    EXPECT_EQ(aggregator->stats().amount_kept, 297u);
    aggregator.reset();
    aggregator = open();
    EXPECT_EQ(aggregator->stats().amount_kept, 297u);
    ledger.execute({receipt(1, 1, 5, 250)});
    EXPECT_EQ(aggregator->poll(0).value(), 1u);  // sessions 2 and 3 go out; session 1 is claimed and dropped
    EXPECT_EQ(aggregator->stats().claimed, 1u);
    EXPECT_EQ(aggregator->stats().amount_kept, 47u);
}

TEST_F(Aggregator, BatchIsDueAtTheCount) {
    DeliveryAggregatorOptions options;
    options.batch_receipts_max = 3;
    options.batch_interval_ms = 10'000;
    auto aggregator = open(options);
    EXPECT_EQ(aggregator->poll(0).value(), 0u);  // starts the interval
    stored(*aggregator, receipt(1, 1, 5, 10));
    stored(*aggregator, receipt(1, 2, 5, 10));
    EXPECT_EQ(aggregator->poll(1).value(), 0u);
    stored(*aggregator, receipt(1, 3, 5, 10));
    EXPECT_EQ(aggregator->poll(2).value(), 1u);
    ASSERT_EQ(submissions.batches.size(), 1u);
    EXPECT_EQ(submissions.batches[0].size(), 3u);
    // Seven more: two full batches at once, the seventh waits for the interval.
    for (uint8_t session = 10; session < 17; ++session) stored(*aggregator, receipt(1, session, 5, 10));
    EXPECT_EQ(aggregator->poll(3).value(), 2u);
    ASSERT_EQ(submissions.batches.size(), 3u);
    EXPECT_EQ(submissions.batches[1].size(), 3u);
    EXPECT_EQ(submissions.batches[2].size(), 3u);
    EXPECT_EQ(aggregator->stats().unsubmitted, 1u);
    EXPECT_EQ(aggregator->poll(10'002).value(), 0u);  // 10 s after the last batch is 10,003
    EXPECT_EQ(aggregator->poll(10'003).value(), 1u);
    EXPECT_EQ(submissions.batches[3].size(), 1u);
}

TEST_F(Aggregator, BatchIsDueAtTheInterval) {
    DeliveryAggregatorOptions options;
    options.batch_interval_ms = 10'000;
    auto aggregator = open(options);
    EXPECT_EQ(aggregator->poll(1'000).value(), 0u);
    stored(*aggregator, receipt(1, 1, 5, 10));
    EXPECT_EQ(aggregator->poll(10'999).value(), 0u);
    EXPECT_EQ(aggregator->poll(11'000).value(), 1u);
    EXPECT_EQ(submissions.batches.at(0), (std::vector<SignedDeliveryReceipt>{receipt(1, 1, 5, 10)}));
}

TEST_F(Aggregator, ResubmitsAfterTheDelayUntilExecuted) {
    DeliveryAggregatorOptions options;
    options.batch_interval_ms = 10'000;
    options.resubmit_delay_ms = 30'000;
    auto aggregator = open(options);
    stored(*aggregator, receipt(1, 1, 5, 10));
    EXPECT_EQ(aggregator->poll(0).value(), 1u);
    // In flight: not resubmitted at the next intervals.
    EXPECT_EQ(aggregator->poll(10'000).value(), 0u);
    EXPECT_EQ(aggregator->poll(20'000).value(), 0u);
    EXPECT_EQ(aggregator->poll(29'999).value(), 0u);
    // The transaction was lost: after the delay it goes again.
    EXPECT_EQ(aggregator->poll(30'000).value(), 1u);
    ASSERT_EQ(submissions.batches.size(), 2u);
    EXPECT_EQ(submissions.batches[1], submissions.batches[0]);
    // A submitter that cannot hand it to consensus leaves it due at the next poll.
    submissions.accept = false;
    EXPECT_EQ(aggregator->poll(60'000).value(), 0u);
    submissions.accept = true;
    EXPECT_EQ(aggregator->poll(60'001).value(), 1u);
    EXPECT_EQ(submissions.batches.size(), 4u);
}

TEST_F(Aggregator, NeverResubmitsWhatTheLedgerClaimed) {
    DeliveryAggregatorOptions options;
    options.batch_interval_ms = 10'000;
    options.resubmit_delay_ms = 30'000;
    auto aggregator = open(options);
    stored(*aggregator, receipt(1, 1, 5, 100));
    stored(*aggregator, receipt(1, 2, 5, 100));
    EXPECT_EQ(aggregator->poll(0).value(), 1u);
    ledger.execute(submissions.batches.at(0));
    // Session 1 served more after the submission: only its newer receipt is still owed.
    stored(*aggregator, receipt(1, 1, 5, 180));
    EXPECT_EQ(aggregator->poll(10'000).value(), 1u);
    EXPECT_EQ(submissions.batches.at(1), (std::vector<SignedDeliveryReceipt>{receipt(1, 1, 5, 180)}));
    ledger.execute(submissions.batches.at(1));
    for (uint64_t t = 20'000; t <= 200'000; t += 10'000) EXPECT_EQ(aggregator->poll(t).value(), 0u) << t;
    EXPECT_EQ(submissions.batches.size(), 2u);
    EXPECT_EQ(aggregator->stats().stored, 0u);
    EXPECT_EQ(aggregator->stats().claimed, 2u);
    // A receipt the ledger already claimed (submitted before a crash lost the deletion, or by an
    // earlier process) is never submitted.
    ledger.execute({receipt(2, 7, 5, 500)});
    stored(*aggregator, receipt(2, 7, 5, 500));
    EXPECT_EQ(aggregator->poll(300'000).value(), 0u);
    EXPECT_EQ(submissions.batches.size(), 2u);
    aggregator.reset();
    aggregator = open(options);
    EXPECT_EQ(aggregator->stats().stored, 0u);  // the deletions reached the disk
}

// A claimed receipt leaves the store at the first due poll after the claim, not once its
// resubmission delay has passed (the node's admission counts what it still keeps).
TEST_F(Aggregator, DropsAClaimedReceiptAtTheNextIntervalNotAfterTheResubmissionDelay) {
    DeliveryAggregatorOptions options;
    options.batch_interval_ms = 1'000;
    options.resubmit_delay_ms = 30'000;
    auto aggregator = open(options);
    stored(*aggregator, receipt(1, 1, 5, 100));
    EXPECT_EQ(aggregator->poll(0).value(), 1u);
    EXPECT_EQ(aggregator->poll(999).value(), 0u);
    EXPECT_EQ(aggregator->stats().stored, 1u);  // not yet due
    ledger.execute(submissions.batches.at(0));
    EXPECT_EQ(aggregator->poll(1'000).value(), 0u);
    EXPECT_EQ(aggregator->stats().stored, 0u);
    EXPECT_EQ(aggregator->stats().claimed, 1u);
    EXPECT_EQ(submissions.batches.size(), 1u);
}

TEST_F(Aggregator, DropsReceiptsTheLedgerNoLongerTakes) {
    auto aggregator = open();
    stored(*aggregator, receipt(1, 1, 4, 10));
    stored(*aggregator, receipt(1, 2, 5, 10));
    stored(*aggregator, receipt(1, 3, 5, 10));
    // Another node claimed session 3 first: this node's receipt can never count.
    ledger.execute({receipt(1, 3, 5, 1)}, our_index + 1);
    ledger.m_epoch = 6;  // epoch 4 is now too old; 5 is the previous epoch
    EXPECT_EQ(aggregator->poll(0).value(), 1u);
    EXPECT_EQ(submissions.all(), (std::vector<SignedDeliveryReceipt>{receipt(1, 2, 5, 10)}));
    const AggregatorStats stats = aggregator->stats();
    EXPECT_EQ(stats.expired, 1u);
    EXPECT_EQ(stats.foreign, 1u);
    EXPECT_EQ(stats.stored, 1u);
    ledger.m_epoch = 7;
    EXPECT_EQ(aggregator->poll(100'000).value(), 0u);
    EXPECT_EQ(aggregator->stats().stored, 0u);
    EXPECT_EQ(aggregator->stats().expired, 2u);
}

TEST_F(Aggregator, UnexecutedUnitsCountWhatTheLedgerHasNotClaimed) {
    auto aggregator = open();
    const auto key = client(1).public_key().bytes();
    stored(*aggregator, receipt(1, 1, 5, 300, 0));
    stored(*aggregator, receipt(1, 2, 5, 500, 1));
    stored(*aggregator, receipt(1, 3, 4, 40, 0));
    stored(*aggregator, receipt(2, 1, 5, 9'999, 0));  // another client
    EXPECT_EQ(aggregator->unexecuted_units(key), (std::map<ledger::ServiceId, uint64_t>{{0, 340}, {1, 500}}));
    ledger.execute({receipt(1, 1, 5, 100, 0)});
    EXPECT_EQ(aggregator->unexecuted_units(key), (std::map<ledger::ServiceId, uint64_t>{{0, 240}, {1, 500}}));
    ledger.m_epoch = 6;  // the epoch-4 receipt will never be charged
    EXPECT_EQ(aggregator->unexecuted_units(key), (std::map<ledger::ServiceId, uint64_t>{{0, 200}, {1, 500}}));
    EXPECT_TRUE(aggregator->unexecuted_units(client(3).public_key().bytes()).empty());
}

TEST_F(Aggregator, RefusesNewSessionsWhenFull) {
    DeliveryAggregatorOptions options;
    options.sessions_max = 2;
    auto aggregator = open(options);
    stored(*aggregator, receipt(1, 1, 5, 10));
    stored(*aggregator, receipt(1, 2, 5, 10));
    EXPECT_EQ(aggregator->record(receipt(1, 3, 5, 10)).error(), AggregatorError::full);
    EXPECT_EQ(stored(*aggregator, receipt(1, 2, 5, 20)), RecordOutcome::stored);  // a kept session still grows
    EXPECT_EQ(aggregator->stats().stored, 2u);
}

// kill -9 of a node while it records: every receipt whose record() returned ok is on disk, and
// the reopened aggregator submits each unclaimed one exactly once, the claimed ones never.
TEST_F(Aggregator, AfterKillEveryAcknowledgedReceiptIsSubmittedExactlyOnce) {
    const auto path = dir / "receipts";
    // The child records receipt i for session i % 200 with amount 1,000 + i, i < 400, and
    // acknowledges each on a pipe. Sessions 0-9 reached the ledger (their last amount) before.
    constexpr uint32_t sessions = 200;
    constexpr uint32_t records = 400;
    for (uint8_t session = 0; session < 10; ++session) ledger.execute({receipt(1, session, 5, 1'000 + sessions + session)});
    int acks[2];
    ASSERT_EQ(::pipe(acks), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(acks[0]);
        Submissions ignored;
        auto aggregator = DeliveryAggregator::open(path, identity(), ledger, ignored.submitter(), {});
        if (!aggregator) ::_exit(1);
        for (uint32_t i = 0; i < records; ++i) {
            if (!(*aggregator)->record(receipt(1, static_cast<uint8_t>(i % sessions), 5, 1'000 + i))) ::_exit(2);
            if (::write(acks[1], &i, sizeof(i)) != static_cast<ssize_t>(sizeof(i))) ::_exit(3);
        }
        for (;;) ::pause();  // killed here at the latest, without closing anything
    }
    ::close(acks[1]);
    uint32_t last_ack = 0;
    for (uint32_t got = 0; got < 300; ++got) {  // kill after 300: mid-record, or once the child waits
        ASSERT_EQ(::read(acks[0], &last_ack, sizeof(last_ack)), static_cast<ssize_t>(sizeof(last_ack)));
        ASSERT_EQ(last_ack, got);
    }
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ::close(acks[0]);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto aggregator = open();
    ASSERT_NE(aggregator, nullptr);
    EXPECT_GT(aggregator->poll(0).value(), 0u);  // due at once after a reopen
    std::map<uint8_t, uint64_t> submitted;
    for (const auto& r : submissions.all()) {
        EXPECT_TRUE(submitted.emplace(r.receipt.session_id[0], r.receipt.amount).second) << "session submitted twice";
    }
    for (uint32_t session = 0; session < sessions; ++session) {
        const auto id = static_cast<uint8_t>(session);
        if (session < 10) {  // the ledger holds their newest amount
            EXPECT_FALSE(submitted.contains(id)) << session;
            continue;
        }
        uint64_t acknowledged = 0;
        for (uint32_t i = session; i <= last_ack; i += sessions) acknowledged = 1'000 + i;
        ASSERT_TRUE(submitted.contains(id)) << session;
        const uint64_t amount = submitted.at(id);
        // Nothing acknowledged is lost; a record after the last acknowledgement read may be newer.
        EXPECT_GE(amount, acknowledged) << session;
        EXPECT_TRUE(amount == 1'000 + session || amount == 1'000 + session + sessions) << session << ": " << amount;
    }
    EXPECT_EQ(submitted.size(), sessions - 10);
    // Executed on the ledger: no later poll submits any of them again.
    for (const auto& batch : submissions.batches) ledger.execute(batch);
    const size_t batches = submissions.batches.size();
    for (uint64_t t = 10'000; t <= 120'000; t += 10'000) EXPECT_EQ(aggregator->poll(t).value(), 0u) << t;
    EXPECT_EQ(submissions.batches.size(), batches);
    EXPECT_EQ(aggregator->stats().stored, 0u);
}

}  // namespace
}  // namespace fleek::edge
