#include "content/link_policy.h"

#include <deque>

namespace fleek::content {

namespace {

constexpr int links_followed_max = 40;  // Linux's MAXSYMLINKS

void push_components(std::deque<std::string>& pending, std::string_view path, bool front) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        const size_t slash = path.find('/');
        parts.emplace_back(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    if (front) {
        pending.insert(pending.begin(), parts.begin(), parts.end());
    } else {
        pending.insert(pending.end(), parts.begin(), parts.end());
    }
}

}  // namespace

std::string_view to_string(LinkTarget target) noexcept {
    switch (target) {
        case LinkTarget::inside: return "stays inside";
        case LinkTarget::absolute: return "points to an absolute path";
        case LinkTarget::escapes: return "points outside the directory";
        case LinkTarget::loop: return "is a loop of links";
    }
    return "is not a safe link";
}

LinkTarget resolve_link(const EntryLookup& lookup, const std::vector<std::string>& directory, std::string_view target) {
    if (target.starts_with('/')) return LinkTarget::absolute;
    std::vector<std::string> at = directory;  // where resolution stands, from the root
    std::deque<std::string> pending;
    push_components(pending, target, false);
    int followed = 0;
    // Components pushed past a name the tree does not hold: resolved by their text alone.
    size_t unknown_depth = 0;
    while (!pending.empty()) {
        const std::string part = std::move(pending.front());
        pending.pop_front();
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (at.empty()) return LinkTarget::escapes;
            at.pop_back();
            if (unknown_depth > 0) --unknown_depth;
            continue;
        }
        const DirectoryEntry* entry = unknown_depth > 0 ? nullptr : lookup(at, part);
        if (entry != nullptr && entry->kind == EntryKind::symlink) {
            if (++followed > links_followed_max) return LinkTarget::loop;
            if (entry->target.starts_with('/')) return LinkTarget::absolute;
            push_components(pending, entry->target, true);  // relative to the directory it is in
            continue;
        }
        if (entry == nullptr) ++unknown_depth;
        at.push_back(part);
    }
    return LinkTarget::inside;
}

}  // namespace fleek::content
