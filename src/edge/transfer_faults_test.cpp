// The peer content transfer when a provider lies, stalls, disconnects or breaks the protocol:
// a TransferServer and a TransferClient connected in process (transfer_loopback_test.h).
#include "edge/transfer_loopback_test.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

using content::block_size;
using content::Hash32;
using loopback::fetch;
using loopback::files_in;
using loopback::Loopback;
using loopback::Node;
using loopback::put;
using loopback::random_bytes;
using loopback::RecordingSink;
using loopback::request;
using loopback::slice;

// A provider that flips one byte of block k: the requester names block k, stores nothing, and
// another provider completes the content from block k on.
TEST(Transfer, CorruptBlockIsRejectedAtItsIndexAndAnotherProviderCompletes) {
    Loopback net;
    Node& liar = net.add_node(1);
    Node& honest = net.add_node(3);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(7 * block_size + 5, 9);
    const Hash32 hash = put(liar, content);
    ASSERT_EQ(put(honest, content), hash);
    constexpr uint64_t bad_block = 3;
    net.link(liar.key, requester.key).tamper = [&](Bytes& payload) {
        auto message = content::decode_transfer_message(payload);
        if (message && std::holds_alternative<content::TransferBlock>(message->body) &&
            std::get<content::TransferBlock>(message->body).index == bad_block) {
            payload.back() ^= 0x01;  // the block's last byte
        }
        return true;
    };

    auto first = fetch(net, requester, liar, request(hash));
    net.run();
    ASSERT_FALSE(first->succeeded());
    const FetchError& error = first->done->error();
    EXPECT_EQ(error.failure, FetchFailure::proof_rejected);
    EXPECT_EQ(error.block, bad_block);
    EXPECT_EQ(error.verify_error, content::VerifyError::block_mismatch);
    EXPECT_EQ(first->bytes, slice(content, 0, bad_block));  // only verified blocks were handed out
    ASSERT_TRUE(error.partial);
    EXPECT_EQ(error.partial->blocks_held(), bad_block);
    EXPECT_FALSE(requester.store->info(hash));
    EXPECT_EQ(files_in(requester.dir / "store/objects"), 0u);
    EXPECT_EQ(requester.client->stats(liar.key).failures[static_cast<size_t>(FetchFailure::proof_rejected)], 1u);
    EXPECT_EQ(liar.server->transfers(), 0u);  // the requester cancelled it

    // Resume with the honest provider from the failed block; the partial keeps blocks [0, 3).
    auto rest = fetch(net, requester, honest, request(hash, error.block, 0));
    net.run();
    ASSERT_TRUE(rest->succeeded()) << rest->done->error().describe();
    EXPECT_TRUE((*rest->done)->stored);
    Bytes whole = first->bytes;
    whole.insert(whole.end(), rest->bytes.begin(), rest->bytes.end());
    EXPECT_EQ(whole, content);
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);
    EXPECT_EQ(honest.server->stats(requester.key).blocks_sent, 5u);  // blocks 3..7 only
}

TEST(Transfer, CorruptProofIsRejectedAtItsBlock) {
    Loopback net;
    Node& liar = net.add_node(1);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(4 * block_size, 12);
    const Hash32 hash = put(liar, content);
    net.link(liar.key, requester.key).tamper = [&](Bytes& payload) {
        auto message = content::decode_transfer_message(payload);
        if (message && std::holds_alternative<content::TransferBlock>(message->body) &&
            std::get<content::TransferBlock>(message->body).index == 2) {
            payload[18 + 32] ^= 0x80;  // the first sibling of block 2's proof (b3)
        }
        return true;
    };
    auto sink = fetch(net, requester, liar, request(hash));
    net.run();
    ASSERT_FALSE(sink->succeeded());
    EXPECT_EQ(sink->done->error().failure, FetchFailure::proof_rejected);
    EXPECT_EQ(sink->done->error().block, 2u);
    EXPECT_EQ(sink->done->error().verify_error, content::VerifyError::proof_mismatch);
    EXPECT_EQ(sink->bytes, slice(content, 0, 2));
    EXPECT_FALSE(requester.store->info(hash));
}

TEST(Transfer, StalledProviderTimesOut) {
    Loopback net;
    TransferClientOptions options;
    options.stall_timeout_ms = 2000;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2, {}, options);
    const Hash32 hash = put(provider, random_bytes(20 * block_size, 4));
    // Everything after the file message and two blocks is lost.
    size_t passed = 0;
    net.link(provider.key, requester.key).tamper = [&](Bytes&) { return ++passed <= 3; };
    auto sink = fetch(net, requester, provider, request(hash));
    net.run();
    EXPECT_FALSE(sink->done);
    net.now_ms += 1999;
    net.tick();
    net.run();
    EXPECT_FALSE(sink->done);
    net.now_ms += 1;
    net.tick();
    ASSERT_TRUE(sink->done);
    EXPECT_EQ(sink->failure(), FetchFailure::peer_stalled);
    EXPECT_EQ(sink->done->error().block, 2u);
    EXPECT_EQ(sink->blocks.size(), 2u);
    EXPECT_EQ(requester.client->transfers(), 0u);
    net.run();  // the cancel reaches the provider
    EXPECT_EQ(provider.server->transfers(), 0u);
    EXPECT_EQ(provider.server->stats(requester.key).cancelled, 1u);
}

TEST(Transfer, DeadlineAndDisconnectEndTransfers) {
    Loopback net;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2);
    const Hash32 hash = put(provider, random_bytes(20 * block_size, 4));

    auto late = fetch(net, requester, provider, request(hash, 0, 0, std::nullopt, net.now_ms + 500));
    net.run(3);
    EXPECT_FALSE(late->done);
    net.now_ms += 500;
    net.tick();
    ASSERT_TRUE(late->done);
    EXPECT_EQ(late->failure(), FetchFailure::deadline_exceeded);
    // What the provider had sent before our cancel reached it is ignored, not held against it.
    net.run();
    EXPECT_EQ(requester.client->stats(provider.key).bad_messages, 0u);
    const uint64_t late_messages = requester.client->stats(provider.key).late_messages;
    EXPECT_GT(late_messages, 0u);
    EXPECT_EQ(provider.server->transfers(), 0u);

    auto cut = fetch(net, requester, provider, request(hash));
    net.run(6);
    ASSERT_FALSE(cut->blocks.empty());
    requester.client->on_peer_disconnected(provider.key, net.now_ms);
    ASSERT_TRUE(cut->done);
    EXPECT_EQ(cut->failure(), FetchFailure::peer_disconnected);
    ASSERT_TRUE(cut->done->error().partial);
    // The partial holds every block either transfer verified (the second reused the first's).
    EXPECT_EQ(cut->done->error().partial->first_missing(), cut->blocks.size());
    net.run();
    EXPECT_EQ(requester.client->stats(provider.key).bad_messages, 0u);
    EXPECT_GT(requester.client->stats(provider.key).late_messages, late_messages);
    EXPECT_EQ(requester.client->transfers(), 0u);
}

TEST(Transfer, GarbageOversizedAndUnrequestedMessagesAreRefusedAndCounted) {
    Loopback net;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(3 * block_size, 6);
    const Hash32 hash = put(provider, content);
    auto sink = fetch(net, requester, provider, request(hash));

    TransferClient& client = *requester.client;
    const auto bad = [&] { return client.stats(provider.key).bad_messages; };
    client.on_message(provider.key, Bytes{0x82, 1, 2}, net.now_ms);  // truncated
    EXPECT_EQ(bad(), 1u);
    client.on_message(provider.key, Bytes(content::transfer_message_bytes_max + 1, 0x82), net.now_ms);  // oversized
    EXPECT_EQ(bad(), 2u);
    client.on_message(provider.key, content::encode_transfer_message({999, content::TransferFile{10, 0, 1}}), net.now_ms);
    EXPECT_EQ(bad(), 3u);  // unrequested id
    client.on_message(provider.key, content::encode_transfer_message({1, content::TransferCancel{}}), net.now_ms);
    EXPECT_EQ(bad(), 4u);  // a message for the provider side
    // A message for our transfer from a node that is not its provider.
    Node& stranger = net.add_node(5);
    client.on_message(stranger.key, content::encode_transfer_message({1, content::TransferError{content::TransferErrorCode::busy}}), net.now_ms);
    EXPECT_EQ(client.stats(stranger.key).bad_messages, 1u);
    EXPECT_EQ(bad(), 4u);

    // None of that disturbed the transfer.
    net.run();
    ASSERT_TRUE(sink->succeeded());
    EXPECT_EQ(sink->bytes, content);

    // The provider counts what it cannot decode and answers a malformed request by its id.
    TransferServer& server = *provider.server;
    server.on_message(requester.key, Bytes{0x01}, net.now_ms);
    Bytes bad_window = content::encode_transfer_message({77, content::TransferRequest{hash, 0, 0, 1}});
    bad_window[bad_window.size() - 2] = 0;  // window 0
    server.on_message(requester.key, bad_window, net.now_ms);
    server.on_message(requester.key, content::encode_transfer_message({78, content::TransferFile{1, 0, 1}}), net.now_ms);
    EXPECT_EQ(server.stats(requester.key).bad_messages, 3u);
    EXPECT_EQ(server.stats(requester.key).bad_requests, 1u);
    EXPECT_EQ(server.transfers(), 0u);
}

// A provider that breaks the protocol inside a transfer: the transfer fails with bad_frame.
TEST(Transfer, ProtocolViolationsFailTheTransfer) {
    struct Case {
        const char* name;
        std::function<std::vector<Bytes>(uint64_t id, const content::HashTree&, const Bytes&)> messages;
    };
    const Bytes content = random_bytes(3 * block_size, 8);
    const content::HashTree tree = content::hash_tree(content);
    const auto block_message = [&](uint64_t id, uint64_t k, content::ProofWalker& walker) {
        return content::encode_transfer_block(id, k, walker.next_proof(), ByteSpan(content).subspan(k * block_size, block_size));
    };
    const Case cases[] = {
        {"block before the file message",
         [&](uint64_t id, const auto& t, const auto&) {
             content::ProofWalker walker(t, 0);
             return std::vector<Bytes>{block_message(id, 0, walker)};
         }},
        {"block out of order",
         [&](uint64_t id, const auto& t, const auto&) {
             content::ProofWalker walker(t, 0);
             (void)walker.next_proof();
             return std::vector<Bytes>{content::encode_transfer_message({id, content::TransferFile{t.content_length(), 0, 3}}),
                                       block_message(id, 1, walker)};
         }},
        {"other range than asked",
         [&](uint64_t id, const auto& t, const auto&) {
             return std::vector<Bytes>{content::encode_transfer_message({id, content::TransferFile{t.content_length(), 1, 3}})};
         }},
        {"directory for a file",
         [&](uint64_t id, const auto&, const auto&) {
             return std::vector<Bytes>{content::encode_transfer_message({id, content::TransferDirectory{100}})};
         }},
        {"two file messages",
         [&](uint64_t id, const auto& t, const auto&) {
             const Bytes file = content::encode_transfer_message({id, content::TransferFile{t.content_length(), 0, 3}});
             return std::vector<Bytes>{file, file};
         }},
    };
    for (const auto& test_case : cases) {
        SCOPED_TRACE(test_case.name);
        Loopback net;
        Node& provider = net.add_node(1);
        Node& requester = net.add_node(2);
        auto sink = fetch(net, requester, provider, request(tree.root(), 0, 0, content::ObjectKind::file));
        net.link(requester.key, provider.key).queue.clear();  // the real provider never sees the request
        net.link(requester.key, provider.key).bytes = 0;
        for (const Bytes& message : test_case.messages(1, tree, content)) requester.client->on_message(provider.key, message, net.now_ms);
        ASSERT_TRUE(sink->done);
        EXPECT_EQ(sink->failure(), FetchFailure::bad_frame);
        EXPECT_EQ(requester.client->stats(provider.key).bad_messages, 1u);
        EXPECT_FALSE(requester.store->info(tree.root()));
    }
}

// A provider that sends more blocks than the window allows is cut off at the first one over.
TEST(Transfer, MessagesBeyondTheWindowAreRefused) {
    Loopback net;
    TransferClientOptions options;
    options.window_blocks = 2;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2, {}, options);
    const Bytes content = random_bytes(4 * block_size, 8);
    const content::HashTree tree = content::hash_tree(content);
    auto sink = fetch(net, requester, provider, request(tree.root()));
    // The requester's credit cannot be sent: the provider may send 2 blocks only.
    net.link(requester.key, provider.key).connected = false;
    content::ProofWalker walker(tree, 0);
    requester.client->on_message(provider.key, content::encode_transfer_message({1, content::TransferFile{tree.content_length(), 0, 4}}), net.now_ms);
    for (uint64_t k = 0; k < 3; ++k) {
        requester.client->on_message(provider.key,
                                     content::encode_transfer_block(1, k, walker.next_proof(), ByteSpan(content).subspan(k * block_size, block_size)),
                                     net.now_ms);
    }
    ASSERT_TRUE(sink->done);
    EXPECT_EQ(sink->failure(), FetchFailure::bad_frame);
    EXPECT_EQ(sink->blocks.size(), 2u);
}

// Directory encodings are held whole in memory while they are sent and received: both sides
// bound their total.
TEST(Transfer, DirectoryEncodingsInMemoryAreBounded) {
    const auto listing = content::Directory::make({content::DirectoryEntry{"x", content::EntryKind::symlink, {}, "y"}}).value();
    const size_t size = listing.encode().size();

    TransferServerOptions small_provider;
    small_provider.directory_bytes_max = size - 1;
    Loopback net;
    Node& provider = net.add_node(1, small_provider);
    Node& requester = net.add_node(2);
    const Hash32 hash = provider.store->put_directory(listing).value();
    auto refused = fetch(net, requester, provider, request(hash));
    net.run();
    EXPECT_EQ(refused->failure(), FetchFailure::busy);

    TransferClientOptions small_requester;
    small_requester.directory_bytes_max = size - 1;
    Loopback net2;
    Node& provider2 = net2.add_node(1);
    Node& requester2 = net2.add_node(2, {}, small_requester);
    ASSERT_EQ(provider2.store->put_directory(listing).value(), hash);
    auto too_large = fetch(net2, requester2, provider2, request(hash));
    net2.run();
    EXPECT_EQ(too_large->failure(), FetchFailure::too_large);
    EXPECT_EQ(provider2.server->transfers(), 0u);  // cancelled

    // At the limit both sides serve it.
    small_provider.directory_bytes_max = size;
    small_requester.directory_bytes_max = size;
    Loopback net3;
    Node& provider3 = net3.add_node(1, small_provider);
    Node& requester3 = net3.add_node(2, {}, small_requester);
    ASSERT_EQ(provider3.store->put_directory(listing).value(), hash);
    auto fits = fetch(net3, requester3, provider3, request(hash));
    net3.run();
    ASSERT_TRUE(fits->succeeded());
    EXPECT_EQ((*fits->done)->directory, listing);
}

}  // namespace
}  // namespace fleek::edge
