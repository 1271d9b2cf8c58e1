// TransferClient::fetch_tree: a directory's children first, the directory after them.
#include "edge/transfer_tree.h"

#include "util/assert.h"

namespace fleek::edge {

FetchId TransferClient::fetch_tree(const crypto::NodePublicKey& peer, const content::Hash32& hash, TreeCallback done,
                                   uint64_t now_ms) {
    m_now_ms = now_ms;
    auto job = std::make_unique<TreeJob>(m_next_id++, peer);
    job->root = hash;
    job->done = std::move(done);
    job->deadline_ms = now_ms + m_options.deadline_ms;
    job->queue.push_back({hash, std::nullopt, std::nullopt});
    job->objects = 1;
    const FetchId id = job->id;
    m_trees.emplace(id, std::move(job));
    // Started by the next call's pump_trees (tick or a message), so `done` never runs in here.
    return id;
}

void TransferClient::pump_trees(uint64_t now_ms) {
    std::vector<FetchId> ids;
    ids.reserve(m_trees.size());
    for (const auto& [id, job] : m_trees) ids.push_back(id);
    for (const FetchId id : ids) {
        if (auto it = m_trees.find(id); it != m_trees.end()) pump_tree(*it->second, now_ms);
    }
}

void TransferClient::pump_tree(TreeJob& job, uint64_t now_ms) {
    const FetchId tree_id = job.id;
    while (!job.queue.empty()) {
        const TreeJob::Pending next = job.queue.front();
        if (m_store.info(next.hash)) {
            // Held already (a directory is only stored after all its children).
            job.queue.pop_front();
            if (tree_object_done(job, next.parent)) return;
            continue;
        }
        const Key key{next.hash, 0, 0};
        if (!can_start(job.peer) && m_by_key.count(key) == 0) return;  // wait for a slot
        auto sink = std::make_shared<TreeChildSink>(*this, tree_id, next.hash, next.parent);
        auto started = fetch(job.peer, FetchRequest{next.hash, 0, 0, next.kind, job.deadline_ms}, sink, now_ms);
        if (!started) {
            if (started.error() != StartError::send_failed) return;
            return finish_tree(tree_id, fleek::fail(TreeFetchError{next.hash, FetchError{FetchFailure::peer_disconnected, 0, {}, {}, {}}}));
        }
        sink->fetch_id = *started;
        job.children.insert(*started);
        job.queue.pop_front();
    }
}

void TransferClient::on_tree_child(const TreeChildSink& child, const Result<Fetched, FetchError>& outcome) {
    auto it = m_trees.find(child.tree());
    if (it == m_trees.end()) return;  // the tree already ended
    TreeJob& job = *it->second;
    job.children.erase(child.fetch_id);
    if (!outcome) return finish_tree(job.id, fleek::fail(TreeFetchError{child.hash(), outcome.error()}));
    if (!outcome->is_directory) {
        if (!outcome->stored) {
            return finish_tree(job.id, fleek::fail(TreeFetchError{child.hash(), FetchError{FetchFailure::store_failed, 0, {}, {}, {}}}));
        }
        if (job.files.insert(child.hash()).second) ++job.result.files;
        if (tree_object_done(job, child.parent())) return;
    } else {
        const content::Directory& directory = *outcome->directory;
        const size_t index = job.directories.size();
        size_t children = 0;
        for (const auto& entry : directory.entries()) {
            if (entry.kind == content::EntryKind::symlink) continue;
            if (++job.objects > m_options.tree_objects_max) {
                return finish_tree(job.id, fleek::fail(TreeFetchError{child.hash(), FetchError{FetchFailure::too_large, 0, {}, {}, {}}}));
            }
            const auto kind = entry.kind == content::EntryKind::directory ? content::ObjectKind::directory : content::ObjectKind::file;
            job.queue.push_back({entry.hash, kind, index});
            ++children;
        }
        job.directories.push_back({child.hash(), directory, children, child.parent()});
        if (children == 0) {
            // Nothing to wait for: store it now and count it as its parent's child.
            if (!store_tree_directory(job, index) || tree_object_done(job, child.parent())) return;
        }
    }
    pump_tree(job, m_now_ms);
}

// One more child of directory `parent` is stored (none: the root itself is stored). Stores each
// directory whose children are now all stored, up to the root, in a loop (trees may be deep).
// True when the tree ended (the job is gone).
bool TransferClient::tree_object_done(TreeJob& job, std::optional<size_t> parent) {
    std::optional<size_t> current = parent;
    while (current) {
        TreeJob::DirectoryNode& node = job.directories[*current];
        FLEEK_ASSERT(node.children_left > 0);
        if (--node.children_left != 0) return false;
        if (!store_tree_directory(job, *current)) return true;
        current = node.parent;
    }
    finish_tree(job.id, job.result);
    return true;
}

// False when storing failed (the tree ended).
bool TransferClient::store_tree_directory(TreeJob& job, size_t index) {
    const TreeJob::DirectoryNode& node = job.directories[index];
    if (auto stored = m_store.put_directory(node.directory); !stored) {
        const FetchFailure failure = stored.error() == content::BlockstoreError::too_large ? FetchFailure::too_large : FetchFailure::store_failed;
        finish_tree(job.id, fleek::fail(TreeFetchError{node.hash, FetchError{failure, 0, {}, {}, {}}}));
        return false;
    }
    ++job.result.directories;
    return true;
}

void TransferClient::finish_tree(FetchId tree_id, Result<TreeFetched, TreeFetchError> outcome) {
    auto it = m_trees.find(tree_id);
    FLEEK_ASSERT(it != m_trees.end());
    std::unique_ptr<TreeJob> job = std::move(it->second);
    m_trees.erase(it);
    for (const FetchId child : job->children) cancel_fetch(child, m_now_ms);
    m_completions.emplace_back([done = std::move(job->done), outcome = std::move(outcome)] { done(outcome); });
}

}  // namespace fleek::edge
