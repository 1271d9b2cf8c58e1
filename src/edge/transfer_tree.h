// Internal to TransferClient: the state of one fetch_tree() (transfer_tree.cpp).
#pragma once

#include "edge/transfer_client.h"

#include <deque>
#include <set>

namespace fleek::edge {

struct TransferClient::TreeJob {
    struct Pending {
        content::Hash32 hash{};
        std::optional<content::ObjectKind> kind;  // unknown for the root
        std::optional<size_t> parent;              // index in `directories`; none for the root
    };
    struct DirectoryNode {
        content::Hash32 hash{};
        content::Directory directory;
        size_t children_left = 0;  // file and directory entries not stored yet
        std::optional<size_t> parent;
    };

    TreeJob(FetchId id_, const crypto::NodePublicKey& peer_) : id(id_), peer(peer_) {}
    FetchId id = 0;
    crypto::NodePublicKey peer;
    content::Hash32 root{};
    TreeCallback done;
    uint64_t deadline_ms = 0;
    std::deque<Pending> queue;           // objects to fetch, waiting for a transfer slot
    std::vector<DirectoryNode> directories;
    std::set<FetchId> children;          // fetches in flight
    uint64_t objects = 0;
    std::set<content::Hash32> files;     // fetched, counted once however often they appear
    TreeFetched result;
};

class TransferClient::TreeChildSink final : public FetchSink {
public:
    TreeChildSink(TransferClient& client, FetchId tree, const content::Hash32& hash, std::optional<size_t> parent)
        : m_client(client), m_tree(tree), m_hash(hash), m_parent(parent) {}
    void on_done(const Result<Fetched, FetchError>& outcome) override { m_client.on_tree_child(*this, outcome); }

    FetchId tree() const noexcept { return m_tree; }
    const content::Hash32& hash() const noexcept { return m_hash; }
    std::optional<size_t> parent() const noexcept { return m_parent; }
    FetchId fetch_id = 0;  // set once the fetch started

private:
    TransferClient& m_client;
    FetchId m_tree;
    content::Hash32 m_hash;
    std::optional<size_t> m_parent;
};

}  // namespace fleek::edge
