#include "content/directory.h"

#include "codec/codec.h"
#include "content/blake3_internal.h"
#include "crypto/hash.h"

#include <algorithm>
#include <cstring>

namespace fleek::content {

namespace b3 = blake3_internal;

namespace {

const Hash32& directory_key() {
    static const Hash32 key = crypto::blake3(as_bytes("DIRECTORY"));
    return key;
}

const uint32_t* directory_key_words() {
    static const auto words = [] {
        std::array<uint32_t, 8> out{};
        b3::key_words(directory_key().data(), out.data());
        return out;
    }();
    return words.data();
}

Hash32 keyed_parent(const Hash32& left, const Hash32& right, bool is_root) {
    uint8_t pair[64];
    std::memcpy(pair, left.data(), 32);
    std::memcpy(pair + 32, right.data(), 32);
    Hash32 out{};
    b3::hash_parent(pair, directory_key_words(), b3::keyed_hash, is_root, out.data());
    return out;
}

Hash32 combine(const std::vector<Hash32>& leaves, size_t first, size_t end, bool is_root) {
    if (end - first == 1) return leaves[first];
    const size_t middle = first + std::bit_floor(end - first - 1);
    return keyed_parent(combine(leaves, first, middle, false), combine(leaves, middle, end, false), is_root);
}

constexpr uint8_t directory_magic[4] = {'F', 'L', 'K', 'D'};
constexpr uint8_t directory_version = 1;

}  // namespace

std::string_view to_string(DirectoryError error) noexcept {
    switch (error) {
        case DirectoryError::invalid_name: return "invalid entry name";
        case DirectoryError::invalid_target: return "invalid symlink target";
        case DirectoryError::duplicate_name: return "two entries with the same name";
        case DirectoryError::too_many_entries: return "more than 65535 entries";
        case DirectoryError::malformed: return "malformed directory encoding";
    }
    return "invalid directory";
}

bool is_valid_entry_name(std::string_view name) {
    if (name.empty() || name.size() > entry_name_size_max || name == "." || name == "..") return false;
    if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) return false;
    return codec::is_valid_utf8(name);
}

Result<Directory, DirectoryError> Directory::make(std::vector<DirectoryEntry> entries) {
    if (entries.size() > directory_entries_max) return fail(DirectoryError::too_many_entries);
    for (const auto& entry : entries) {
        if (!is_valid_entry_name(entry.name)) return fail(DirectoryError::invalid_name);
        if (entry.kind == EntryKind::symlink) {
            if (entry.target.empty() || entry.target.size() > symlink_target_size_max ||
                entry.target.find('\0') != std::string::npos) {
                return fail(DirectoryError::invalid_target);
            }
        } else if (!entry.target.empty()) {
            return fail(DirectoryError::invalid_target);
        }
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (size_t i = 1; i < entries.size(); ++i) {
        if (entries[i].name == entries[i - 1].name) return fail(DirectoryError::duplicate_name);
    }
    Directory directory;
    directory.m_entries = std::move(entries);
    return directory;
}

const DirectoryEntry* Directory::find(std::string_view name) const {
    auto it = std::lower_bound(m_entries.begin(), m_entries.end(), name,
                               [](const DirectoryEntry& entry, std::string_view key) { return entry.name < key; });
    if (it == m_entries.end() || it->name != name) return nullptr;
    return &*it;
}

Hash32 Directory::hash() const {
    if (m_entries.empty()) return crypto::blake3_keyed(directory_key(), {});
    std::vector<Hash32> leaves;
    leaves.reserve(m_entries.size());
    Bytes transcript;
    for (size_t i = 0; i < m_entries.size(); ++i) {
        const DirectoryEntry& entry = m_entries[i];
        transcript.clear();
        uint8_t flags = m_entries.size() == 1 ? 0x01 : 0x00;
        if (entry.kind == EntryKind::symlink) flags |= 0x02;
        if (entry.kind == EntryKind::directory) flags |= 0x04;
        transcript.push_back(flags);
        transcript.insert(transcript.end(), entry.name.begin(), entry.name.end());
        transcript.push_back(0);
        if (entry.kind == EntryKind::symlink) {
            transcript.insert(transcript.end(), entry.target.begin(), entry.target.end());
            transcript.push_back(0);
        } else {
            transcript.insert(transcript.end(), entry.hash.begin(), entry.hash.end());
        }
        transcript.push_back(static_cast<uint8_t>(i & 0xff));
        transcript.push_back(static_cast<uint8_t>(i >> 8));
        leaves.push_back(crypto::blake3_keyed(directory_key(), transcript));
    }
    return combine(leaves, 0, leaves.size(), true);
}

Bytes Directory::encode() const {
    codec::Writer w;
    w.fixed(directory_magic);
    w.u8(directory_version);
    w.u32(static_cast<uint32_t>(m_entries.size()));
    for (const auto& entry : m_entries) {
        w.tag(static_cast<uint8_t>(entry.kind));
        w.string(entry.name, entry_name_size_max);
        if (entry.kind == EntryKind::symlink) {
            w.string(entry.target, symlink_target_size_max);
        } else {
            w.fixed(entry.hash);
        }
    }
    return w.take();
}

Result<Directory, DirectoryError> Directory::decode(ByteSpan bytes) {
    codec::Reader r(bytes);
    auto magic = r.fixed(4);
    if (!magic || std::memcmp(magic->data(), directory_magic, 4) != 0) return fail(DirectoryError::malformed);
    auto version = r.u8();
    if (!version || *version != directory_version) return fail(DirectoryError::malformed);
    // Each entry takes at least 1 + 4 + 1 + 4 bytes.
    auto count = r.count(directory_entries_max, 10);
    if (!count) return fail(DirectoryError::malformed);
    std::vector<DirectoryEntry> entries;
    entries.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        DirectoryEntry entry;
        auto kind = r.tag(entry_kind_count);
        auto name = kind ? r.string(entry_name_size_max) : tl::unexpected(kind.error());
        if (!kind || !name) return fail(DirectoryError::malformed);
        entry.kind = static_cast<EntryKind>(*kind);
        entry.name = std::string(*name);
        if (entry.kind == EntryKind::symlink) {
            auto target = r.string(symlink_target_size_max);
            if (!target) return fail(DirectoryError::malformed);
            entry.target = std::string(*target);
        } else {
            auto hash = r.array<32>();
            if (!hash) return fail(DirectoryError::malformed);
            entry.hash = *hash;
        }
        // Canonical: strictly increasing names, so there is one encoding per directory.
        if (!entries.empty() && !(entries.back().name < entry.name)) return fail(DirectoryError::malformed);
        entries.push_back(std::move(entry));
    }
    if (!r.finish()) return fail(DirectoryError::malformed);
    return make(std::move(entries));
}

}  // namespace fleek::content
