#include "origins/ipfs_dag_store.h"

#include "content/directory.h"
#include "util/encoding.h"

#include <fmt/format.h>

#include <functional>

namespace fleek::origins {

using ipld::Cid;
namespace multicodec = ipld::multicodec;

namespace {
}  // namespace

Result<std::optional<Bytes>, std::string> CarBlobSource::get(const Cid& cid) {
    if (cid.hash_code() == multicodec::identity) return std::optional<Bytes>(Bytes(cid.digest().begin(), cid.digest().end()));
    const auto found = m_blocks.find(Bytes(cid.multihash().begin(), cid.multihash().end()));
    if (found == m_blocks.end()) return std::optional<Bytes>();
    auto bytes = m_store.read_range(m_car, found->second.offset, found->second.size);
    if (!bytes) return fail(fmt::format("reading the stored CAR: {}", content::to_string(bytes.error())));
    return std::optional<Bytes>(std::move(*bytes));
}

Result<IpfsRecord, OriginError> store_unixfs_dag(content::Blockstore& blockstore, Resolver& resolver, const Cid& cid,
                                                 const Hash32& car, const std::map<Bytes, CarBlock>& blocks, uint64_t max_depth,
                                                 bool index_blocks) {
    CarBlobSource source(blockstore, car, blocks);

    // 4. Store the files and directories the DAG describes, children first.
    Resolver::IpfsBatch batch;
    std::map<Cid, std::pair<IpfsRecord, std::string>> done;  // by CIDv1: record, symlink target
    std::function<Result<std::pair<IpfsRecord, std::string>, OriginError>(const Cid&, uint64_t)> store =
        [&](const Cid& node_cid, uint64_t depth) -> Result<std::pair<IpfsRecord, std::string>, OriginError> {
        const Cid key = node_cid.to_v1();
        if (auto it = done.find(key); it != done.end()) return it->second;
        if (depth > max_depth) {
            return fail(origin_error(OriginErrorCode::too_large, fmt::format("directories nested deeper than {}", max_depth)));
        }
        auto node = ipld::load_node(source, node_cid);
        if (!node) return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), node.error().message())));
        IpfsRecord record;
        record.car = car;
        if (node->kind == ipld::NodeKind::file || node->kind == ipld::NodeKind::raw_file) {
            // A file stored before (this DAG fetched again, or another sharing it) is not rewritten.
            auto known = resolver.ipfs(key);
            if (known && *known && (*known)->kind == ResolvedKind::file && blockstore.info((*known)->hash)) {
                record.kind = ResolvedKind::file;
                record.hash = (*known)->hash;
                record.size = (*known)->size;
                batch.records.emplace_back(key, record);
                done.emplace(key, std::make_pair(record, std::string()));
                return std::make_pair(record, std::string());
            }
        }
        std::string target;
        switch (node->kind) {
            case ipld::NodeKind::raw_file:
            case ipld::NodeKind::file: {
                auto writer = blockstore.begin_write();
                if (!writer) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(writer.error()))));
                std::optional<content::BlockstoreError> write_error;
                auto read = ipld::read_file(source, *node, 0, UINT64_MAX, [&](ByteSpan bytes) {
                    auto written = (*writer)->write(bytes);
                    if (!written) write_error = written.error();
                    return written.has_value();
                });
                if (write_error) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(*write_error))));
                if (!read) return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), read.error().message())));
                const uint64_t size = (*writer)->bytes_written();
                auto hash = (*writer)->commit();
                if (!hash) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(hash.error()))));
                record.kind = ResolvedKind::file;
                record.hash = *hash;
                record.size = size;
                break;
            }
            case ipld::NodeKind::directory:
            case ipld::NodeKind::hamt_shard: {
                auto links = ipld::list_directory(source, *node);
                if (!links) return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), links.error().message())));
                std::vector<content::DirectoryEntry> entries;
                entries.reserve(links->size());
                for (const auto& link : *links) {
                    if (!content::is_valid_entry_name(link.name)) {
                        return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: entry name `{}` is not allowed in a directory",
                                                                                          node_cid.to_string(), link.name)));
                    }
                    auto child = store(link.cid, depth + 1);
                    if (!child) return fail(child.error());
                    content::DirectoryEntry entry;
                    entry.name = link.name;
                    switch (child->first.kind) {
                        case ResolvedKind::file: entry.kind = content::EntryKind::file, entry.hash = child->first.hash; break;
                        case ResolvedKind::directory: entry.kind = content::EntryKind::directory, entry.hash = child->first.hash; break;
                        case ResolvedKind::symlink: entry.kind = content::EntryKind::symlink, entry.target = child->second; break;
                    }
                    entries.push_back(std::move(entry));
                }
                auto directory = content::Directory::make(std::move(entries));
                if (!directory) {
                    return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), content::to_string(directory.error()))));
                }
                auto hash = blockstore.put_directory(*directory);
                if (!hash) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(hash.error()))));
                record.kind = ResolvedKind::directory;
                record.hash = *hash;
                record.size = directory->entries().size();
                break;
            }
            case ipld::NodeKind::symlink: {
                target = std::string(as_string_view(node->unixfs.data.value_or(Bytes())));
                record.kind = ResolvedKind::symlink;
                record.size = target.size();
                break;
            }
            case ipld::NodeKind::other:
                return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{} is not a UnixFS file, directory or symlink", node_cid.to_string())));
        }
        batch.records.emplace_back(key, record);
        done.emplace(key, std::make_pair(record, target));
        return std::make_pair(record, target);
    };
    auto root = store(cid, 0);
    if (!root) return fail(root.error());
    if (root->first.kind == ResolvedKind::symlink) {
        return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{} is a symlink; a symlink is cached only inside a directory", cid.to_string())));
    }

    // 5. Remember it all in one batch (a reused CAR's blocks are indexed already).
    if (index_blocks) {
        batch.blocks.reserve(blocks.size());
        for (const auto& [key, block] : blocks) batch.blocks.emplace_back(key, BlockLocation{car, block.offset, block.size});
    }
    if (auto put = resolver.put_ipfs(batch); !put) return fail(origin_error(OriginErrorCode::store_failed, put.error()));
    return root->first;
}

}  // namespace fleek::origins
