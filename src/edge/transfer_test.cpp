// The peer content transfer end to end: a TransferServer and a TransferClient connected in
// process by loopback links (transfer_loopback_test.h).
#include "edge/transfer_loopback_test.h"

#include "crypto/hash.h"

#include <gtest/gtest.h>


namespace fleek::edge {
namespace {

using content::block_size;
using content::Hash32;
using loopback::fetch;
using loopback::Loopback;
using loopback::Node;
using loopback::put;
using loopback::random_bytes;
using loopback::RecordingSink;
using loopback::request;
using loopback::slice;

TEST(Transfer, WholeFilesArriveByteIdenticalAndStored) {
    Loopback net;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2);
    uint32_t seed = 1;
    for (const size_t size : {size_t{0}, size_t{1}, block_size - 1, block_size, block_size + 1, 5 * block_size + 7}) {
        SCOPED_TRACE(size);
        const Bytes content = random_bytes(size, seed++);
        const Hash32 hash = put(provider, content);
        auto sink = fetch(net, requester, provider, request(hash));
        net.run();
        ASSERT_TRUE(sink->succeeded()) << sink->done->error().describe();
        EXPECT_EQ(sink->bytes, content);
        EXPECT_EQ(sink->file->content_length, size);
        EXPECT_EQ(sink->file->end_block, content::block_count(size));
        const Fetched& fetched = **sink->done;
        EXPECT_TRUE(fetched.stored);
        EXPECT_EQ(fetched.content_length, size);
        EXPECT_EQ(requester.store->read_range(hash, 0, size).value(), content);
        // b3sum of what arrived is the hash asked for.
        EXPECT_EQ(crypto::blake3(sink->bytes), hash);
    }
    EXPECT_EQ(requester.client->transfers(), 0u);
    EXPECT_EQ(provider.server->transfers(), 0u);
    const auto provided = provider.server->stats(requester.key);
    EXPECT_EQ(provided.completed, 6u);
    EXPECT_EQ(provider.server->unacked_bytes(requester.key), 0u);
    const auto received = requester.client->stats(provider.key);
    EXPECT_EQ(received.succeeded, 6u);
    EXPECT_EQ(received.failed, 0u);
    EXPECT_EQ(received.bad_messages, 0u);
    EXPECT_EQ(received.blocks_verified, 1u + 1 + 1 + 1 + 2 + 6);
    EXPECT_GT(received.bytes_received, 6 * block_size);
}

// The provider sends each block from the verified buffer the blockstore handed it (its block
// cache's), not from a copy: the message's tail is that buffer, and head and tail together are
// the documented block message.
TEST(Transfer, ProviderSendsBlocksFromTheStoreBufferUncopied) {
    fleek::testing::ScratchDirectory dir;
    auto store = content::Blockstore::open(dir / "store", {}).value();
    const Bytes content = random_bytes(3 * block_size + 11, 5);
    const Hash32 hash = store->put(content).value();
    // Each block is read once first: the blockstore seals a block on its second read (block.h),
    // so the provider's read below is the one that settles the cached buffer, and the test's
    // own reads afterwards get that same buffer back.
    for (uint64_t k = 0; k < 4; ++k) ASSERT_TRUE(store->read_block(hash, k));
    std::vector<net::FramePayload> sent;
    TransferServer server(*store, [&](const crypto::NodePublicKey&, net::FramePayload& message) {
        sent.push_back(std::move(message));
        message = net::FramePayload{};
        return net::SendResult::queued;
    });
    const auto requester = loopback::node_key(2).public_key();
    server.on_message(requester, content::encode_transfer_message({9, content::TransferRequest{hash, 0, 0, 16}}), 1000);
    ASSERT_EQ(sent.size(), 5u);  // the file message and 4 blocks
    EXPECT_FALSE(sent[0].tail_owner);
    const content::HashTree tree = content::hash_tree(content);
    content::ProofWalker walker(tree, 0);
    for (uint64_t k = 0; k < 4; ++k) {
        const net::FramePayload& message = sent[1 + k];
        const content::BlockBuffer cached = store->read_block(hash, k).value();
        EXPECT_EQ(message.tail.data(), cached->data()) << "block " << k << " was copied";
        EXPECT_EQ(message.tail_owner.get(), static_cast<const void*>(cached.get()));
        Bytes joined = message.head;
        joined.insert(joined.end(), message.tail.begin(), message.tail.end());
        EXPECT_EQ(joined, content::encode_transfer_block(9, k, walker.next_proof(), cached->view()));
    }
}

// The requester hands each verified block to its sinks as a view into the message it arrived in,
// with that message's owner, so a sink may keep the block without copying it; and before the
// block's disk write (a reader's first byte does not wait for it), which follows in the same call.
TEST(Transfer, SinksGetBlocksAsViewsIntoTheMessageWithItsOwner) {
    struct OwnerSink : FetchSink {
        TransferClient* client = nullptr;
        Hash32 hash{};
        std::vector<std::pair<ByteSpan, std::shared_ptr<const void>>> blocks;
        std::vector<bool> held_when_delivered;
        bool on_shared_block(uint64_t index, ByteSpan bytes, const std::shared_ptr<const void>& owner) override {
            blocks.emplace_back(bytes, owner);
            const auto partial = client->partial(hash);
            held_when_delivered.push_back(partial && partial->has_block(index));
            return true;
        }
        void on_done(const Result<Fetched, FetchError>&) override {}
    };
    Loopback net;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(2 * block_size + 5, 3);
    const Hash32 hash = put(provider, content);
    auto sink = std::make_shared<OwnerSink>();
    sink->client = requester.client.get();
    sink->hash = hash;
    ASSERT_TRUE(requester.client->fetch(provider.key, request(hash), sink, net.now_ms));
    net.run();
    ASSERT_EQ(sink->blocks.size(), 3u);
    EXPECT_EQ(sink->held_when_delivered, (std::vector<bool>{false, false, false}));
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);  // written and committed
    for (size_t k = 0; k < 3; ++k) {
        const auto& [bytes, owner] = sink->blocks[k];
        ASSERT_NE(owner, nullptr);
        const auto* message = static_cast<const Bytes*>(owner.get());
        EXPECT_GE(bytes.data(), message->data());
        EXPECT_EQ(bytes.data() + bytes.size(), message->data() + message->size());  // the block ends the message
        EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), slice(content, k, k + 1));
    }
}

TEST(Transfer, LargeFileArrivesByteIdentical) {
#ifdef NDEBUG
    const size_t size = (size_t{64} << 20) + 12345;
#else
    const size_t size = (size_t{12} << 20) + 12345;  // sanitizers: the release build moves 64 MiB
#endif
    Loopback net;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(size, 77);
    const Hash32 hash = put(provider, content);
    auto sink = fetch(net, requester, provider, request(hash));
    net.run();
    ASSERT_TRUE(sink->succeeded()) << sink->done->error().describe();
    EXPECT_EQ(sink->bytes.size(), content.size());
    EXPECT_TRUE(sink->bytes == content);
    EXPECT_EQ(requester.store->info(hash)->length, size);
    // The provider kept its uncredited bytes under the budget, so the queue never refused.
    EXPECT_EQ(net.link(provider.key, requester.key).refused, 0u);
    EXPECT_LE(net.link(provider.key, requester.key).max_bytes, (size_t{6} << 20) + 64);  // + the file message
}

TEST(Transfer, RangesArriveByteIdenticalAndAreNotCommitted) {
    Loopback net;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(6 * block_size + 99, 5);
    const Hash32 hash = put(provider, content);

    auto middle = fetch(net, requester, provider, request(hash, 2, 4));
    net.run();
    ASSERT_TRUE(middle->succeeded()) << middle->done->error().describe();
    EXPECT_EQ(middle->bytes, slice(content, 2, 4));
    EXPECT_EQ(middle->blocks, (std::vector<uint64_t>{2, 3}));
    const Fetched& fetched = **middle->done;
    EXPECT_FALSE(fetched.stored);
    ASSERT_TRUE(fetched.partial);
    EXPECT_EQ(fetched.partial->blocks_held(), 2u);
    EXPECT_FALSE(requester.store->info(hash));  // not every block: not visible

    // The tail through the last block; the held partial is reused, and still not complete.
    auto tail = fetch(net, requester, provider, request(hash, 5, 0));
    net.run();
    ASSERT_TRUE(tail->succeeded());
    EXPECT_EQ(tail->bytes, slice(content, 5, 7));
    EXPECT_EQ(fetched.partial->blocks_held(), 4u);
    EXPECT_FALSE((*tail->done)->stored);

    // The rest: the object is complete and committed.
    auto head = fetch(net, requester, provider, request(hash, 0, 2));
    net.run();
    ASSERT_TRUE(head->succeeded());
    auto four = fetch(net, requester, provider, request(hash, 4, 5));
    net.run();
    ASSERT_TRUE(four->succeeded());
    EXPECT_TRUE((*four->done)->stored);
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);

    // A range outside the content is refused by the provider.
    auto outside = fetch(net, requester, provider, request(hash, 7, 0));
    net.run();
    ASSERT_FALSE(outside->succeeded());
    EXPECT_EQ(outside->failure(), FetchFailure::refused);
    EXPECT_EQ(outside->done->error().answer, content::TransferErrorCode::bad_range);
}

TEST(Transfer, DirectoryTreeIsFetchedChildrenFirst) {
    Loopback net;
    Node& provider = net.add_node(1);
    Node& requester = net.add_node(2);
    const Bytes a = random_bytes(3 * block_size + 1, 10), b = random_bytes(100, 11), empty;
    const Hash32 ha = put(provider, a), hb = put(provider, b), he = put(provider, empty);
    using content::DirectoryEntry;
    using content::EntryKind;
    const auto inner = content::Directory::make({DirectoryEntry{"b.txt", EntryKind::file, hb, ""},
                                                 DirectoryEntry{"empty", EntryKind::file, he, ""},
                                                 DirectoryEntry{"link", EntryKind::symlink, {}, "../a.bin"}})
                           .value();
    const auto nothing = content::Directory::make({}).value();
    const Hash32 hinner = provider.store->put_directory(inner).value();
    const Hash32 hnothing = provider.store->put_directory(nothing).value();
    const auto root = content::Directory::make({DirectoryEntry{"a.bin", EntryKind::file, ha, ""},
                                                DirectoryEntry{"again", EntryKind::file, ha, ""},
                                                DirectoryEntry{"inner", EntryKind::directory, hinner, ""},
                                                DirectoryEntry{"nothing", EntryKind::directory, hnothing, ""}})
                          .value();
    const Hash32 hroot = provider.store->put_directory(root).value();

    // A plain fetch of a directory returns it, checked against its hash, without storing it.
    auto listing = fetch(net, requester, provider, request(hroot));
    net.run();
    ASSERT_TRUE(listing->succeeded());
    EXPECT_TRUE((*listing->done)->is_directory);
    EXPECT_EQ((*listing->done)->directory, root);
    EXPECT_FALSE(requester.store->info(hroot));

    std::optional<Result<TreeFetched, TreeFetchError>> outcome;
    requester.client->fetch_tree(provider.key, hroot, [&](const auto& result) { outcome = result; }, net.now_ms);
    EXPECT_FALSE(outcome);  // never from inside the call
    for (int round = 0; round < 20 && !outcome; ++round) {
        net.tick();
        net.run();
    }
    ASSERT_TRUE(outcome);
    ASSERT_TRUE(*outcome) << outcome->error().error.describe();
    EXPECT_EQ((*outcome)->files, 3u);  // a.bin (twice in the tree, once fetched or joined), b.txt, empty
    EXPECT_EQ((*outcome)->directories, 3u);
    EXPECT_EQ(requester.store->directory(hroot).value(), root);
    EXPECT_EQ(requester.store->resolve_path(hroot, "inner/b.txt")->hash, hb);
    EXPECT_EQ(requester.store->read_range(ha, 0, a.size()).value(), a);
    EXPECT_EQ(requester.store->read_range(hb, 0, b.size()).value(), b);
    EXPECT_EQ(requester.store->info(he)->length, 0u);

    // Fetching the tree again fetches nothing.
    const uint64_t requests = provider.server->stats(requester.key).requests;
    outcome.reset();
    requester.client->fetch_tree(provider.key, hroot, [&](const auto& result) { outcome = result; }, net.now_ms);
    net.tick();
    ASSERT_TRUE(outcome && *outcome);
    EXPECT_EQ((*outcome)->files, 0u);
    EXPECT_EQ(provider.server->stats(requester.key).requests, requests);
}

TEST(Transfer, NotFoundAndBusyAreTypedAnswers) {
    Loopback net;
    TransferServerOptions limited;
    limited.transfers_per_peer_max = 1;
    Node& provider = net.add_node(1, limited);
    Node& requester = net.add_node(2);
    const Hash32 big = put(provider, random_bytes(40 * block_size, 1));
    const Hash32 small = put(provider, random_bytes(10, 2));

    auto missing = fetch(net, requester, provider, request(content::content_hash(as_bytes("nobody has this"))));
    net.run();
    EXPECT_EQ(missing->failure(), FetchFailure::not_found);
    EXPECT_EQ(missing->done->error().answer, content::TransferErrorCode::not_found);

    // The first transfer is still open when the second request arrives.
    auto first = fetch(net, requester, provider, request(big));
    auto second = fetch(net, requester, provider, request(small));
    net.run();
    ASSERT_TRUE(first->succeeded());
    EXPECT_EQ(second->failure(), FetchFailure::busy);
    EXPECT_TRUE(second->bytes.empty());
    EXPECT_FALSE(requester.store->info(small));
    EXPECT_EQ(provider.server->stats(requester.key).busy, 1u);
    EXPECT_EQ(provider.server->stats(requester.key).not_found, 1u);
    EXPECT_EQ(requester.client->stats(provider.key).failures[static_cast<size_t>(FetchFailure::busy)], 1u);

    // Total limit across peers.
    TransferServerOptions one;
    one.transfers_max = 1;
    Loopback net2;
    Node& shared = net2.add_node(1, one);
    Node& r1 = net2.add_node(2);
    Node& r2 = net2.add_node(3);
    const Hash32 content = put(shared, random_bytes(40 * block_size, 3));
    auto from_r1 = fetch(net2, r1, shared, request(content));
    auto from_r2 = fetch(net2, r2, shared, request(content));
    net2.run();
    EXPECT_EQ(from_r1->succeeded() + from_r2->succeeded(), 1);
    EXPECT_EQ(int(from_r1->failure() == FetchFailure::busy) + int(from_r2->failure() == FetchFailure::busy), 1);
}

TEST(Transfer, RequesterLimitsAreEnforced) {
    Loopback net;
    TransferClientOptions options;
    options.transfers_max = 3;
    options.transfers_per_peer_max = 2;
    Node& p1 = net.add_node(1);
    Node& p2 = net.add_node(3);
    Node& requester = net.add_node(2, {}, options);
    std::vector<Hash32> hashes;
    for (uint32_t i = 0; i < 5; ++i) {
        const Bytes content = random_bytes(block_size, 100 + i);
        hashes.push_back(put(p1, content));
        put(p2, content);
    }
    TransferClient& client = *requester.client;
    const auto start = [&](Node& provider, const Hash32& hash) {
        return client.fetch(provider.key, request(hash), std::make_shared<RecordingSink>(), net.now_ms);
    };
    ASSERT_TRUE(start(p1, hashes[0]));
    ASSERT_TRUE(start(p1, hashes[1]));
    EXPECT_FALSE(client.can_start(p1.key));
    EXPECT_EQ(start(p1, hashes[2]).error(), StartError::peer_at_capacity);
    ASSERT_TRUE(start(p2, hashes[2]));
    EXPECT_EQ(start(p2, hashes[3]).error(), StartError::at_capacity);
    // Joining a transfer in flight takes no slot.
    ASSERT_TRUE(start(p2, hashes[0]));
    EXPECT_EQ(client.transfers(), 3u);
    net.run();
    EXPECT_EQ(client.transfers(), 0u);
    EXPECT_TRUE(start(p1, hashes[3]));

    // Ranges the format cannot express are refused before anything is sent.
    const auto range = [&](uint64_t first, uint64_t end) {
        return client.fetch(p2.key, request(hashes[4], first, end), std::make_shared<RecordingSink>(), net.now_ms);
    };
    EXPECT_EQ(range(3, 3).error(), StartError::invalid_range);
    EXPECT_EQ(range(4, 2).error(), StartError::invalid_range);
    EXPECT_EQ(range(content::transfer_blocks_max, 0).error(), StartError::invalid_range);
    EXPECT_EQ(net.link(requester.key, p2.key).queue.size(), 0u);
}

// Many concurrent transfers to one requester that drains slowly: the provider's uncredited bytes
// stay under its budget, so the 8 MiB send queue never refuses a message; each transfer keeps
// at most its window in flight.
TEST(Transfer, BackPressureNeverOverrunsTheSendQueue) {
    Loopback net;
    TransferServerOptions server_options;
    server_options.transfers_per_peer_max = 8;
    TransferClientOptions client_options;
    client_options.window_blocks = 64;  // more than the provider allows (16)
    Node& provider = net.add_node(1, server_options);
    Node& requester = net.add_node(2, {}, client_options);
    std::vector<Bytes> contents;
    std::vector<std::shared_ptr<RecordingSink>> sinks;
    for (uint32_t i = 0; i < 8; ++i) {
        contents.push_back(random_bytes(24 * block_size + i, 200 + i));
        sinks.push_back(fetch(net, requester, provider, request(put(provider, contents.back()))));
    }
    const auto& to_requester = net.link(provider.key, requester.key);
    // Deliver one message at a time, checking the provider's bookkeeping after each.
    while (net.run(1) == 1) {
        ASSERT_LE(provider.server->unacked_bytes(requester.key), server_options.peer_unacked_bytes_max);
        ASSERT_LE(to_requester.bytes, server_options.peer_unacked_bytes_max + 8 * 64);
    }
    for (size_t i = 0; i < contents.size(); ++i) {
        ASSERT_TRUE(sinks[i]->succeeded()) << i;
        EXPECT_EQ(sinks[i]->bytes, contents[i]) << i;
    }
    EXPECT_EQ(to_requester.refused, 0u);
    EXPECT_LE(to_requester.max_bytes, server_options.peer_unacked_bytes_max + 8 * 64);
    EXPECT_GT(to_requester.max_bytes, size_t{4} << 20);  // the budget, not one window, was the limit

    // One transfer alone is held to the provider's window (16 blocks) while nothing is credited.
    Loopback quiet;
    Node& p = quiet.add_node(1);
    Node& r = quiet.add_node(2, {}, client_options);
    const Hash32 hash = put(p, random_bytes(40 * block_size, 300));
    auto sink = fetch(quiet, r, p, request(hash));
    quiet.link(p.key, r.key).tamper = [](Bytes&) { return false; };  // nothing arrives, so no credit
    quiet.run();
    EXPECT_EQ(p.server->stats(r.key).blocks_sent, 16u);
    EXPECT_GE(p.server->unacked_bytes(r.key), 16 * block_size);
    EXPECT_LE(p.server->unacked_bytes(r.key), 16 * content::transfer_block_message_bytes(content::proof_hashes_max, block_size));
}

TEST(Transfer, IdenticalRequestsShareOneTransferAndLateWaitersCatchUp) {
    Loopback net;
    Node& provider = net.add_node(1);
    Node& other = net.add_node(3);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(30 * block_size + 3, 13);
    const Hash32 hash = put(provider, content);
    put(other, content);

    auto first = fetch(net, requester, provider, request(hash));
    auto second = fetch(net, requester, other, request(hash));  // joins, although another peer was named
    EXPECT_EQ(requester.client->transfers(), 1u);
    net.run(12);  // part of the transfer
    ASSERT_GT(first->blocks.size(), 2u);
    auto late = fetch(net, requester, provider, request(hash));
    EXPECT_EQ(requester.client->transfers(), 1u);
    for (int round = 0; round < 100 && !(late->done && first->done); ++round) {
        net.run();
        net.tick();
    }
    for (const auto& sink : {first, second, late}) {
        ASSERT_TRUE(sink->succeeded());
        EXPECT_EQ(sink->bytes, content);
        EXPECT_TRUE((*sink->done)->stored);
    }
    EXPECT_EQ(provider.server->stats(requester.key).requests, 1u);
    EXPECT_EQ(other.server->stats(requester.key).requests, 0u);

    // A waiter that stops ends cancelled; the others go on.
    const Hash32 second_hash = put(provider, random_bytes(10 * block_size, 14));
    auto stopping = std::make_shared<RecordingSink>();
    stopping->stop_after_blocks = 2;
    ASSERT_TRUE(requester.client->fetch(provider.key, request(second_hash), stopping, net.now_ms));
    auto staying = fetch(net, requester, provider, request(second_hash));
    net.run();
    EXPECT_EQ(stopping->failure(), FetchFailure::cancelled);
    EXPECT_EQ(stopping->blocks.size(), 2u);
    EXPECT_TRUE(staying->succeeded());

    // Cancelling the only waiter cancels the transfer at the provider.
    const Hash32 third_hash = put(provider, random_bytes(30 * block_size, 15));
    auto alone = std::make_shared<RecordingSink>();
    const FetchId id = requester.client->fetch(provider.key, request(third_hash), alone, net.now_ms).value();
    net.run(4);
    requester.client->cancel(id, net.now_ms);
    EXPECT_EQ(alone->failure(), FetchFailure::cancelled);
    // Our cancellation is not held against the provider.
    EXPECT_EQ(requester.client->stats(provider.key).failures[static_cast<size_t>(FetchFailure::cancelled)], 1u);
    EXPECT_EQ(requester.client->stats(provider.key).failed, 0u);
    net.run();
    EXPECT_EQ(provider.server->transfers(), 0u);
    EXPECT_FALSE(requester.store->info(third_hash));
}

// An operator's cap on the bandwidth given to peers: blocks go out at the configured rate, spread
// over the ticks, and the transfer still completes.
TEST(Transfer, ServedBytesPerSecondAreCapped) {
    Loopback net;
    TransferServerOptions capped;
    capped.bytes_per_second = uint64_t{1} << 20;
    Node& provider = net.add_node(1, capped);
    Node& requester = net.add_node(2);
    const Bytes content = random_bytes(8 * block_size, 20);
    const Hash32 hash = put(provider, content);
    auto sink = fetch(net, requester, provider, request(hash));
    const uint64_t started = net.now_ms;
    net.run();
    EXPECT_EQ(provider.server->stats(requester.key).blocks_sent, 1u);  // one message's worth at once
    uint64_t blocks_after_one_second = 0;
    while (!sink->done && net.now_ms < started + 10'000) {
        net.now_ms += 100;
        net.tick();
        net.run();
        if (net.now_ms == started + 1000) blocks_after_one_second = provider.server->stats(requester.key).blocks_sent;
    }
    ASSERT_TRUE(sink->succeeded());
    EXPECT_EQ(sink->bytes, content);
    // 1 MiB/s is four blocks a second, after the first one.
    EXPECT_LE(blocks_after_one_second, 5u);
    EXPECT_GE(blocks_after_one_second, 3u);
    EXPECT_GE(net.now_ms - started, 1'500u);  // 7 more blocks at 4 a second
    EXPECT_LE(net.now_ms - started, 2'500u);
}

}  // namespace
}  // namespace fleek::edge
