// HandshakeConnection (node side) against HandshakeClient and hand-made frames, in memory:
// opening, refusals before any content byte, receipt checks, the window, tokens.
#include "edge/handshake_fixture_test.h"

namespace fleek::edge::handshake {
namespace {

using namespace testing;

constexpr uint64_t mib = 1 << 20;

// The reason of the terminate frame a connection sent, checking nothing followed it.
std::optional<TerminationReason> terminated_with(HandshakeConnection& node, uint64_t now_ms, uint64_t* data_frames = nullptr) {
    std::vector<Bytes> storage;
    const auto frames = decode_all(node, now_ms, storage);
    std::optional<TerminationReason> reason;
    for (const auto& frame : frames) {
        EXPECT_FALSE(reason) << "a frame after the terminate frame";
        if (const auto* t = std::get_if<Terminate>(&frame)) reason = t->reason;
        if (data_frames && std::holds_alternative<Data>(frame)) ++*data_frames;
    }
    EXPECT_EQ(node.finished(), reason.has_value());
    return reason;
}

// A client frame payload.
Bytes client_payload(const ClientFrame& frame) {
    const Bytes whole = encode_frame(frame);
    return Bytes(whole.begin() + frame_header_size, whole.end());
}

// The challenge a fresh connection sends, and an Open frame signed by `signer` over it.
Open signed_open(HandshakeConnection& node, const crypto::ClientSecretKey& signer, const ledger::ClientKeyBytes& claimed_key,
                 const ledger::SessionId& session, std::optional<Token> token = std::nullopt) {
    const auto first = node.next_frame(0).value();
    const Challenge challenge = std::get<Challenge>(decode_node_frame(payload(first)).value());
    Open open;
    open.client_key = claimed_key;
    open.session_id = session;
    open.service = 0;
    open.token = token;
    open.signature = signer.sign(client_open_digest(Transcript{challenge, claimed_key, session, 0, token})).bytes();
    return open;
}

TEST(HandshakeSession, OpensStreamsVerifiedContentAndCountsCumulativeReceipts) {
    NodeFixture node;
    const Hash32 hash = node.put(3 * mib + 1000, 7);
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    EXPECT_FALSE(node.run(*connection, client, 0));
    ASSERT_TRUE(client.is_open());
    EXPECT_EQ(client.opened()->window_bytes, 4 * mib);
    EXPECT_EQ(client.opened()->receipt_interval_bytes, mib);

    Bytes received;
    connection->on_frame(ByteSpan(client.request(hash, std::nullopt, [&](uint64_t, ByteSpan block) {
        received.insert(received.end(), block.begin(), block.end());
        return true;
    })).subspan(frame_header_size), 0);
    EXPECT_FALSE(node.run(*connection, client, 0));
    EXPECT_TRUE(client.request_done());
    EXPECT_EQ(received, node.content_bytes);
    // One receipt per MiB verified, and one for the rest at the end; each cumulative.
    EXPECT_EQ(node.sink.amounts(), (std::vector<uint64_t>{mib, 2 * mib, 3 * mib, 3 * mib + 1000}));
    for (const auto& r : node.sink.receipts()) {
        EXPECT_TRUE(ledger::verify_delivery_receipt(r));
        EXPECT_EQ(r.receipt.node, node.key.public_key().bytes());
        EXPECT_EQ(r.receipt.epoch, 3u);
        EXPECT_EQ(r.receipt.chain_id, NodeFixture::chain_id);
    }
    EXPECT_EQ(connection->session()->acknowledged_bytes, 3 * mib + 1000);
    EXPECT_EQ(connection->session()->sent_bytes, 3 * mib + 1000);
}

TEST(HandshakeSession, ClientRefusesANodeThatSignsWithAnotherKey) {
    NodeFixture node;
    node.key = node_key(9);  // the node answers with another key than the client expects
    auto options = node.client_options();
    options.node = node_key(1).public_key();
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), options);
    EXPECT_EQ(node.run(*connection, client, 0), ClientError::wrong_node);
    EXPECT_FALSE(client.is_open());
}

TEST(HandshakeSession, ClientRefusesAForgedOpenedSignature) {
    NodeFixture node;
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    std::vector<Bytes> out;
    ASSERT_TRUE(client.on_frame(payload(connection->next_frame(0).value()), out));
    connection->on_frame(ByteSpan(out.at(0)).subspan(frame_header_size), 0);
    Bytes opened = payload(connection->next_frame(0).value());
    opened.back() ^= 1;
    std::vector<Bytes> ignored;
    EXPECT_EQ(client.on_frame(opened, ignored).error(), ClientError::bad_node_signature);
    EXPECT_FALSE(client.is_open());
}

TEST(HandshakeSession, AWrongSignatureIsRefusedBeforeAdmissionAndNothingIsKept) {
    for (int variant = 0; variant < 3; ++variant) {
        NodeFixture node;
        auto connection = node.connect(0);
        const auto key = client_key();
        Open open = signed_open(*connection, key, key.public_key().bytes(), session_id(1));
        if (variant == 0) open.signature[5] ^= 0x40;                                  // a flipped bit
        if (variant == 1) open.signature = client_key(3).sign(Bytes(32, 0)).bytes();  // another key's signature
        if (variant == 2) open.session_id = session_id(2);                           // a field changed after signing
        connection->on_frame(client_payload(open), 0);
        EXPECT_EQ(terminated_with(*connection, 0), TerminationReason::bad_signature) << variant;
        EXPECT_EQ(node.admission.calls, 0);
        EXPECT_EQ(node.registry.size(), 0u);
        EXPECT_EQ(connection->session(), nullptr);
    }
}

TEST(HandshakeSession, ASignatureOverAnotherChallengeIsRefused) {
    NodeFixture node;
    auto first = node.connect(0);
    auto second = node.connect(0);
    const auto key = client_key();
    const Open open = signed_open(*first, key, key.public_key().bytes(), session_id(1));
    (void)second->next_frame(0);
    second->on_frame(client_payload(open), 0);  // replayed on a connection with another nonce
    EXPECT_EQ(terminated_with(*second, 0), TerminationReason::bad_signature);
}

TEST(HandshakeSession, UnapprovedAndUnfundedClientsAreRefusedBeforeAnyContentByte) {
    for (auto [funds, expected] : {std::pair<std::optional<uint64_t>, TerminationReason>{std::nullopt, TerminationReason::unapproved_client},
                                   {4 * mib - 1, TerminationReason::insufficient_funds}}) {
        NodeFixture node;
        const Hash32 hash = node.put(mib, 1);
        const auto key = client_key(5);
        if (funds) node.admission.funds_bytes[key.public_key().bytes()] = *funds;
        auto connection = node.connect(0);
        HandshakeClient client(client_key(5), node.client_options());
        EXPECT_EQ(node.run(*connection, client, 0), ClientError::terminated);
        EXPECT_EQ(client.termination(), expected);
        EXPECT_FALSE(client.is_open());
        // A request sent anyway gets nothing.
        connection->on_frame(client_payload(Request{hash, std::nullopt}), 0);
        EXPECT_FALSE(connection->next_frame(0));
        EXPECT_EQ(node.registry.size(), 0u);
    }
}

TEST(HandshakeSession, RequestBeforeOpenAndSecondOpenAreUnexpected) {
    NodeFixture node;
    auto connection = node.connect(0);
    (void)connection->next_frame(0);
    connection->on_frame(client_payload(Request{Hash32{}, std::nullopt}), 0);
    EXPECT_EQ(terminated_with(*connection, 0), TerminationReason::unexpected_frame);

    auto again = node.connect(0);
    const auto key = client_key();
    const Open open = signed_open(*again, key, key.public_key().bytes(), session_id(1));
    again->on_frame(client_payload(open), 0);
    again->on_frame(client_payload(open), 0);
    EXPECT_EQ(terminated_with(*again, 0), TerminationReason::unexpected_frame);
}

TEST(HandshakeSession, GarbageAndOversizedFramesEndTheSession) {
    NodeFixture node;
    auto garbage = node.connect(0);
    garbage->on_frame(to_bytes("\x10garbage"), 0);
    EXPECT_EQ(terminated_with(*garbage, 0), TerminationReason::malformed);
    auto oversized = node.connect(0);
    oversized->on_frame_error(FrameError::frame_too_large);
    EXPECT_EQ(terminated_with(*oversized, 0), TerminationReason::frame_too_large);
}

TEST(HandshakeSession, AConnectionThatDoesNotOpenInTimeIsTimedOut) {
    NodeFixture node;
    auto connection = node.connect(1000);
    EXPECT_EQ(connection->next_deadline_ms(), 1000 + node.options.open_timeout_ms);
    connection->tick(1000 + node.options.open_timeout_ms - 1);
    EXPECT_FALSE(connection->termination());
    connection->tick(1000 + node.options.open_timeout_ms);
    EXPECT_EQ(terminated_with(*connection, 0), TerminationReason::timeout);
}

// Sends a receipt changed by `change` after 2 MiB were streamed and acknowledged 1 MiB.
struct BadReceiptCase {
    const char* name;
    std::function<void(ledger::SignedDeliveryReceipt&, const crypto::ClientSecretKey&)> change;
    TerminationReason expected;
};

TEST(HandshakeSession, ReceiptsForAnotherNodeSessionEpochOrForgedAreRefused) {
    const auto resign = [](ledger::SignedDeliveryReceipt& r, const crypto::ClientSecretKey& key) { r = ledger::sign_delivery_receipt(r.receipt, key); };
    const std::vector<BadReceiptCase> cases = {
        {"chain", [&](auto& r, auto& k) { r.receipt.chain_id += 1; resign(r, k); }, TerminationReason::receipt_wrong_chain},
        {"node", [&](auto& r, auto& k) { r.receipt.node = node_key(9).public_key().bytes(); resign(r, k); }, TerminationReason::receipt_wrong_node},
        {"service", [&](auto& r, auto& k) { r.receipt.service = 1; resign(r, k); }, TerminationReason::receipt_wrong_service},
        {"session", [&](auto& r, auto& k) { r.receipt.session_id = session_id(0x77); resign(r, k); }, TerminationReason::receipt_wrong_session},
        {"epoch", [&](auto& r, auto& k) { r.receipt.epoch = 2; resign(r, k); }, TerminationReason::receipt_wrong_epoch},
        {"client", [&](auto& r, auto&) { r = ledger::sign_delivery_receipt(r.receipt, client_key(3)); }, TerminationReason::receipt_wrong_client},
        {"decreased", [&](auto& r, auto& k) { r.receipt.amount = mib - 1; resign(r, k); }, TerminationReason::receipt_amount_decreased},
        {"too high", [&](auto& r, auto& k) { r.receipt.amount = 4 * mib + 1; resign(r, k); }, TerminationReason::receipt_amount_exceeds_sent},
        {"forged", [&](auto& r, auto&) { r.receipt.amount = 2 * mib; }, TerminationReason::receipt_bad_signature},
    };
    for (const auto& c : cases) {
        NodeFixture node;
        const Hash32 hash = node.put(8 * mib, 3);
        const auto key = client_key();
        auto connection = node.connect(0);
        HandshakeClient client(client_key(), node.client_options());
        ASSERT_FALSE(node.run(*connection, client, 0));
        connection->on_frame(ByteSpan(client.request(hash, std::nullopt, {})).subspan(frame_header_size), 0);
        // The node streams a full window; the client acknowledges its first MiB by hand.
        while (connection->next_frame(0)) {
        }
        ASSERT_EQ(connection->session()->sent_bytes, 4 * mib);
        ledger::DeliveryReceipt base{NodeFixture::chain_id, node.key.public_key().bytes(), 0, session_id(0x5e), 3, mib};
        node.feed(*connection, client_payload(Receipt{ledger::sign_delivery_receipt(base, key)}), 0);
        ASSERT_EQ(node.sink.amounts(), std::vector<uint64_t>{mib});
        auto bad = ledger::sign_delivery_receipt(base, key);
        c.change(bad, key);
        node.feed(*connection, client_payload(Receipt{bad}), 0);
        EXPECT_EQ(terminated_with(*connection, 0), c.expected) << c.name;
        EXPECT_EQ(node.sink.amounts(), std::vector<uint64_t>{mib}) << c.name;  // nothing more recorded
    }
}

TEST(HandshakeSession, AReceiptTheSinkCannotPersistEndsTheSessionUncounted) {
    NodeFixture node;
    const Hash32 hash = node.put(2 * mib, 3);
    node.sink.refuse = true;
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*connection, client, 0));
    connection->on_frame(ByteSpan(client.request(hash, std::nullopt, {})).subspan(frame_header_size), 0);
    EXPECT_EQ(node.run(*connection, client, 0), ClientError::terminated);
    EXPECT_EQ(client.termination(), TerminationReason::receipt_not_stored);
    EXPECT_EQ(node.registry.find(client.opened()->token, 0).value()->acknowledged_bytes, 0u);
}

// A client that stops signing gets exactly one window, then nothing, then `window_exceeded`
// after the ack timeout.
TEST(HandshakeSession, AClientThatStopsSigningGetsOneWindowThenWindowExceeded) {
    NodeFixture node;
    const Hash32 hash = node.put(8 * mib, 4);
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*connection, client, 0));
    uint64_t verified = 0;
    connection->on_frame(ByteSpan(client.request(hash, std::nullopt, [&](uint64_t, ByteSpan b) { return verified += b.size(), true; }))
                             .subspan(frame_header_size),
                         0);
    EXPECT_FALSE(node.run(*connection, client, 100, /*client_sends=*/false));
    EXPECT_EQ(verified, 4 * mib);
    EXPECT_EQ(connection->session()->sent_bytes, 4 * mib);
    EXPECT_FALSE(connection->next_frame(200));
    EXPECT_EQ(connection->next_deadline_ms(), 100 + node.options.ack_timeout_ms);
    connection->tick(100 + node.options.ack_timeout_ms - 1);
    EXPECT_FALSE(connection->termination());
    connection->tick(100 + node.options.ack_timeout_ms);
    EXPECT_EQ(terminated_with(*connection, 0), TerminationReason::window_exceeded);
    EXPECT_TRUE(node.sink.receipts().empty());
}

TEST(HandshakeSession, AReceiptReopensTheWindow) {
    NodeFixture node;
    const Hash32 hash = node.put(8 * mib, 4);
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*connection, client, 0));
    connection->on_frame(ByteSpan(client.request(hash, std::nullopt, {})).subspan(frame_header_size), 0);
    EXPECT_FALSE(node.run(*connection, client, 0, false));
    ledger::DeliveryReceipt r{NodeFixture::chain_id, node.key.public_key().bytes(), 0, session_id(0x5e), 3, 2 * mib};
    node.feed(*connection, client_payload(Receipt{ledger::sign_delivery_receipt(r, client_key())}), 0);
    while (connection->next_frame(0)) {
    }
    EXPECT_EQ(connection->session()->sent_bytes, 6 * mib);
    EXPECT_FALSE(connection->termination());
}

// A connection streaming 8 MiB whose full first window (4 MiB) is out and not acknowledged.
struct FullWindow {
    NodeFixture node;
    std::unique_ptr<HandshakeConnection> connection;
    FullWindow() {
        const Hash32 hash = node.put(8 * mib, 4);
        connection = node.connect(0);
        HandshakeClient client(client_key(), node.client_options());
        EXPECT_FALSE(node.run(*connection, client, 0));
        node.feed(*connection, ByteSpan(client.request(hash, std::nullopt, {})).subspan(frame_header_size), 0);
        EXPECT_FALSE(node.run(*connection, client, 0, false));
        EXPECT_EQ(connection->session()->sent_bytes, 4 * mib);
    }
    Bytes receipt(uint64_t amount) const {
        ledger::DeliveryReceipt r{NodeFixture::chain_id, node.key.public_key().bytes(), 0, session_id(0x5e), 3, amount};
        return client_payload(Receipt{ledger::sign_delivery_receipt(r, client_key())});
    }
    uint64_t drain(uint64_t now_ms) {
        uint64_t frames = 0;
        while (connection->next_frame(now_ms)) ++frames;
        return frames;
    }
};

// Recording is asynchronous: the verified receipt is handed out, and the window opens only once
// its recording completes; the newest receipt received meanwhile waits (one in flight).
TEST(HandshakeSession, TheWindowOpensOnlyOnceTheReceiptIsRecorded) {
    FullWindow w;
    w.connection->on_frame(w.receipt(2 * mib), 0);
    auto recording = w.connection->take_receipt_to_record();
    ASSERT_TRUE(recording);
    EXPECT_EQ(recording->receipt.amount, 2 * mib);
    EXPECT_TRUE(w.connection->receipt_recording());
    EXPECT_EQ(w.drain(0), 0u);  // not persisted yet: the window stays full
    EXPECT_EQ(w.connection->session()->acknowledged_bytes, 0u);
    EXPECT_EQ(w.connection->session()->sent_bytes, 4 * mib);

    // Newer receipts while one is in flight: the newest replaces the waiting one; a repeat of
    // the newest is ignored; an amount below the one in flight is a decrease.
    w.connection->on_frame(w.receipt(3 * mib), 0);
    w.connection->on_frame(w.receipt(4 * mib), 0);
    w.connection->on_frame(w.receipt(4 * mib), 0);
    EXPECT_FALSE(w.connection->take_receipt_to_record());  // one in flight per connection
    EXPECT_FALSE(w.connection->termination());

    w.connection->receipt_recorded(2 * mib, {});
    EXPECT_EQ(w.connection->session()->acknowledged_bytes, 2 * mib);
    EXPECT_EQ(w.drain(0), 2u * 4);  // 2 MiB more: 8 blocks of 256 KiB
    EXPECT_EQ(w.connection->session()->sent_bytes, 6 * mib);
    auto next = w.connection->take_receipt_to_record();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->receipt.amount, 4 * mib);
    EXPECT_FALSE(w.connection->take_receipt_to_record());
    w.connection->receipt_recorded(4 * mib, {});
    EXPECT_EQ(w.connection->session()->acknowledged_bytes, 4 * mib);
    EXPECT_EQ(w.drain(0), 8u);
    EXPECT_EQ(w.connection->session()->sent_bytes, 8 * mib);
    EXPECT_FALSE(w.connection->termination());
}

TEST(HandshakeSession, AReceiptBelowTheOneBeingRecordedIsADecrease) {
    FullWindow w;
    w.connection->on_frame(w.receipt(3 * mib), 0);
    ASSERT_TRUE(w.connection->take_receipt_to_record());
    w.connection->on_frame(w.receipt(2 * mib), 0);
    EXPECT_EQ(terminated_with(*w.connection, 0), TerminationReason::receipt_amount_decreased);
    EXPECT_EQ(w.connection->termination(), TerminationReason::receipt_amount_decreased);
}

// A recording that fails ends the session with a typed reason; its amount never counts.
TEST(HandshakeSession, AFailedRecordingEndsTheSessionAndCountsNothing) {
    for (const auto error : {ReceiptSinkError::not_stored, ReceiptSinkError::busy}) {
        FullWindow w;
        const Token token = w.connection->session()->token;
        w.connection->on_frame(w.receipt(2 * mib), 0);
        ASSERT_TRUE(w.connection->take_receipt_to_record());
        w.connection->on_frame(w.receipt(3 * mib), 0);  // waiting: dropped with the session
        w.connection->receipt_recorded(2 * mib, fail(error));
        uint64_t data_frames = 0;
        EXPECT_EQ(terminated_with(*w.connection, 0, &data_frames),
                  error == ReceiptSinkError::busy ? TerminationReason::server_busy : TerminationReason::receipt_not_stored);
        EXPECT_EQ(data_frames, 0u);
        EXPECT_FALSE(w.connection->take_receipt_to_record());
        EXPECT_EQ(w.node.registry.find(token, 0).value()->acknowledged_bytes, 0u);
        EXPECT_EQ(w.node.registry.find(token, 0).value()->sent_bytes, 4 * mib);
    }
}

// The client did sign in time; a slow disk is not its fault: no window_exceeded while its
// receipt is being recorded, and the usual cut-off once nothing is pending.
TEST(HandshakeSession, AReceiptBeingRecordedHoldsOffTheAckTimeout) {
    FullWindow w;
    const uint64_t timeout = w.node.options.ack_timeout_ms;  // the window is full since 0
    w.connection->on_frame(w.receipt(mib), 50);
    ASSERT_TRUE(w.connection->take_receipt_to_record());
    w.connection->tick(timeout);
    EXPECT_FALSE(w.connection->termination());
    EXPECT_EQ(w.connection->next_deadline_ms(), 2 * timeout);  // waits one more ack timeout
    w.connection->receipt_recorded(mib, {});
    EXPECT_EQ(w.drain(timeout), 4u);  // full again at `timeout`, nothing pending
    w.connection->tick(2 * timeout - 1);
    EXPECT_FALSE(w.connection->termination());
    w.connection->tick(2 * timeout);
    EXPECT_EQ(terminated_with(*w.connection, 0), TerminationReason::window_exceeded);
}

TEST(HandshakeSession, FundsRunningOutEndTheSessionAtTheNextReceipt) {
    NodeFixture node;
    const Hash32 hash = node.put(8 * mib, 4);
    node.admission.funds_bytes[client_key().public_key().bytes()] = 5 * mib;  // covers the first window and one MiB
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*connection, client, 0));
    connection->on_frame(ByteSpan(client.request(hash, std::nullopt, {})).subspan(frame_header_size), 0);
    EXPECT_EQ(node.run(*connection, client, 0), ClientError::terminated);
    EXPECT_EQ(client.termination(), TerminationReason::insufficient_funds);
    EXPECT_EQ(node.sink.amounts(), (std::vector<uint64_t>{mib, 2 * mib}));  // the receipts are kept
}

TEST(HandshakeSession, ATokenResumesTheSessionAndItsCounting) {
    NodeFixture node;
    const Hash32 hash = node.put(6 * mib, 5);
    Token token{};
    uint64_t acknowledged = 0;
    {
        auto connection = node.connect(0);
        HandshakeClient client(client_key(), node.client_options());
        ASSERT_FALSE(node.run(*connection, client, 0));
        token = client.opened()->token;
        connection->on_frame(ByteSpan(client.request(hash, BlockRange{0, 8}, {})).subspan(frame_header_size), 0);
        ASSERT_FALSE(node.run(*connection, client, 0));
        acknowledged = client.signed_bytes();
        ASSERT_EQ(acknowledged, 2 * mib);
    }  // the connection drops
    auto options = node.client_options();
    options.resume_token = token;
    auto connection = node.connect(10);
    HandshakeClient client(client_key(), options);
    ASSERT_FALSE(node.run(*connection, client, 10));
    ASSERT_TRUE(client.is_open());
    EXPECT_EQ(client.opened()->acknowledged_bytes, 2 * mib);
    EXPECT_EQ(client.opened()->token, token);
    connection->on_frame(ByteSpan(client.request(hash, BlockRange{8, 24}, {})).subspan(frame_header_size), 10);
    ASSERT_FALSE(node.run(*connection, client, 10));
    EXPECT_EQ(node.sink.amounts(), (std::vector<uint64_t>{mib, 2 * mib, 3 * mib, 4 * mib, 5 * mib, 6 * mib}));
    EXPECT_EQ(node.registry.size(), 1u);
}

TEST(HandshakeSession, ExpiredForeignAndMismatchedTokensAreRefused) {
    NodeFixture node;
    auto first = node.connect(0);
    HandshakeClient owner(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*first, owner, 0));
    const Token token = owner.opened()->token;
    first.reset();

    const auto attempt = [&](const crypto::ClientSecretKey& key, Token t, uint8_t session, uint64_t now_ms) {
        auto connection = node.connect(now_ms);
        auto options = node.client_options(session);
        options.resume_token = t;
        HandshakeClient client(key.clone(), options);
        EXPECT_EQ(node.run(*connection, client, now_ms), ClientError::terminated);
        return client.termination();
    };
    Token foreign = token;
    foreign[0] ^= 1;
    EXPECT_EQ(attempt(client_key(), foreign, 0x5e, 1), TerminationReason::unknown_token);
    EXPECT_EQ(attempt(client_key(3), token, 0x5e, 1), TerminationReason::token_mismatch);  // another client's key
    EXPECT_EQ(attempt(client_key(), token, 0x11, 1), TerminationReason::token_mismatch);   // another session id
    EXPECT_EQ(attempt(client_key(), token, 0x5e, node.options.token_ttl_ms), TerminationReason::token_expired);
    node.epoch = 4;  // a valid token in the next epoch: the session's receipts counted in epoch 3
    EXPECT_EQ(attempt(client_key(), token, 0x5e, 1), TerminationReason::token_expired);
    node.epoch = 3;
    // After one more time to live the session is gone: the token is unknown.
    node.registry.expire(2 * node.options.token_ttl_ms);
    EXPECT_EQ(node.registry.size(), 0u);
    EXPECT_EQ(attempt(client_key(), token, 0x5e, 2 * node.options.token_ttl_ms), TerminationReason::unknown_token);
}

TEST(HandshakeSession, ASessionIdIsOpenedOnceAndASecondConnectionSharesTheWindow) {
    NodeFixture node;
    const Hash32 hash = node.put(8 * mib, 6);
    auto first = node.connect(0);
    HandshakeClient owner(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*first, owner, 0));

    auto twin = node.connect(0);
    HandshakeClient twin_client(client_key(), node.client_options());
    EXPECT_EQ(node.run(*twin, twin_client, 0), ClientError::terminated);
    EXPECT_EQ(twin_client.termination(), TerminationReason::session_exists);

    // A secondary connection with the token: both stream, one window between them.
    auto options = node.client_options();
    options.resume_token = owner.opened()->token;
    auto secondary = node.connect(0);
    HandshakeClient second(client_key(), options);
    ASSERT_FALSE(node.run(*secondary, second, 0));
    first->on_frame(ByteSpan(owner.request(hash, BlockRange{0, 16}, {})).subspan(frame_header_size), 0);
    secondary->on_frame(ByteSpan(second.request(hash, BlockRange{16, 32}, {})).subspan(frame_header_size), 0);
    EXPECT_FALSE(node.run(*first, owner, 0, false));
    EXPECT_FALSE(node.run(*secondary, second, 0, false));
    EXPECT_EQ(first->session()->sent_bytes, 4 * mib);
    EXPECT_EQ(secondary->next_deadline_ms(), node.options.ack_timeout_ms);  // its window is full too
    // A receipt on the first connection reopens the window of the second: it is not cut off.
    ledger::DeliveryReceipt r{NodeFixture::chain_id, node.key.public_key().bytes(), 0, session_id(0x5e), 3, 4 * mib};
    node.feed(*first, client_payload(Receipt{ledger::sign_delivery_receipt(r, client_key())}), 0);
    secondary->tick(node.options.ack_timeout_ms);
    EXPECT_FALSE(secondary->termination());
    EXPECT_TRUE(secondary->next_frame(node.options.ack_timeout_ms));
}

TEST(HandshakeSession, BadRangesAndUnknownContentAreRefusedAndTheSessionGoesOn) {
    NodeFixture node;
    const Hash32 hash = node.put(mib, 6);
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*connection, client, 0));
    connection->on_frame(ByteSpan(client.request(hash, BlockRange{2, 5}, {})).subspan(frame_header_size), 0);
    EXPECT_EQ(node.run(*connection, client, 0), ClientError::refused);
    EXPECT_EQ(client.refusal(), ContentRefusal::bad_range);
    connection->on_frame(ByteSpan(client.request(Hash32{}, std::nullopt, {})).subspan(frame_header_size), 0);
    EXPECT_EQ(node.run(*connection, client, 0), ClientError::refused);
    EXPECT_EQ(client.refusal(), ContentRefusal::not_found);
    Bytes received;
    connection->on_frame(ByteSpan(client.request(hash, std::nullopt, [&](uint64_t, ByteSpan b) {
        received.insert(received.end(), b.begin(), b.end());
        return true;
    })).subspan(frame_header_size), 0);
    EXPECT_FALSE(node.run(*connection, client, 0));
    EXPECT_EQ(received, node.content_bytes);
}

TEST(HandshakeSession, AnOpenConnectionThatIdlesIsTimedOut) {
    NodeFixture node;
    const Hash32 hash = node.put(mib, 8);
    auto connection = node.connect(0);
    HandshakeClient client(client_key(), node.client_options());
    ASSERT_FALSE(node.run(*connection, client, 10));  // opened at 10
    EXPECT_EQ(connection->next_deadline_ms(), 10 + node.options.idle_timeout_ms);
    // Streaming is not idle; the deadline comes back from the client's last frame once it is done.
    connection->on_frame(ByteSpan(client.request(hash, std::nullopt, {})).subspan(frame_header_size), 20);
    ASSERT_FALSE(node.run(*connection, client, 30));  // the final receipt arrives at 30
    EXPECT_EQ(connection->next_deadline_ms(), 30 + node.options.idle_timeout_ms);
    connection->tick(30 + node.options.idle_timeout_ms - 1);
    EXPECT_FALSE(connection->termination());
    connection->tick(30 + node.options.idle_timeout_ms);
    EXPECT_EQ(terminated_with(*connection, 0), TerminationReason::timeout);
}

TEST(HandshakeSession, AFullRegistryRefusesNewSessionsButResumesHeldOnes) {
    NodeFixture node;
    node.options.max_sessions = 1;
    node.registry = SessionRegistry(node.options);
    auto first = node.connect(0);
    HandshakeClient owner(client_key(), node.client_options(0x01));
    ASSERT_FALSE(node.run(*first, owner, 0));
    auto second = node.connect(0);
    HandshakeClient other(client_key(), node.client_options(0x02));
    EXPECT_EQ(node.run(*second, other, 0), ClientError::terminated);
    EXPECT_EQ(other.termination(), TerminationReason::server_busy);
    EXPECT_EQ(node.registry.size(), 1u);
    auto options = node.client_options(0x01);
    options.resume_token = owner.opened()->token;
    auto third = node.connect(0);
    HandshakeClient resumed(client_key(), options);
    EXPECT_FALSE(node.run(*third, resumed, 0));
    EXPECT_TRUE(resumed.is_open());
}

}  // namespace
}  // namespace fleek::edge::handshake
