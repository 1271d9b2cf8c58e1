#include "content/link_policy.h"

#include <gtest/gtest.h>

#include <map>

namespace fleek::content {
namespace {

// A tree given as "path" -> entry; directories are implied by their entries' paths.
class Tree {
public:
    Tree& link(const std::string& path, std::string target) {
        add(path, DirectoryEntry{name_of(path), EntryKind::symlink, {}, std::move(target)});
        return *this;
    }
    Tree& file(const std::string& path) {
        add(path, DirectoryEntry{name_of(path), EntryKind::file, {}, ""});
        return *this;
    }
    Tree& dir(const std::string& path) {
        add(path, DirectoryEntry{name_of(path), EntryKind::directory, {}, ""});
        return *this;
    }
    LinkTarget resolve(const std::string& link_path) const {
        const auto& entry = m_entries.at(link_path);
        std::vector<std::string> directory;
        std::string_view rest(link_path);
        while (rest.find('/') != std::string_view::npos) {
            directory.emplace_back(rest.substr(0, rest.find('/')));
            rest.remove_prefix(rest.find('/') + 1);
        }
        return resolve_link(
            [this](const std::vector<std::string>& at, std::string_view name) -> const DirectoryEntry* {
                std::string path;
                for (const auto& part : at) path += part + "/";
                path += name;
                const auto found = m_entries.find(path);
                return found == m_entries.end() ? nullptr : &found->second;
            },
            directory, entry.target);
    }

private:
    static std::string name_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }
    void add(const std::string& path, DirectoryEntry entry) { m_entries[path] = std::move(entry); }
    std::map<std::string, DirectoryEntry> m_entries;
};

TEST(LinkPolicy, LinksInsideTheTreeAreAccepted) {
    Tree tree;
    tree.dir("a").dir("a/b").file("a/b/big.bin").link("a/link", "b/big.bin").link("a/up", "../a/./b//big.bin")
        .link("top", ".").link("a/missing", "not/there/../..").link("a/self", "..");
    for (const char* link : {"a/link", "a/up", "top", "a/missing", "a/self"}) EXPECT_EQ(tree.resolve(link), LinkTarget::inside) << link;
}

TEST(LinkPolicy, AbsoluteAndClimbingLinksAreRefused) {
    Tree tree;
    tree.dir("a").link("a/passwd", "/etc/passwd").link("a/up", "../../..").link("root", "..").link("a/deep", "../x/../../y");
    EXPECT_EQ(tree.resolve("a/passwd"), LinkTarget::absolute);
    EXPECT_EQ(tree.resolve("a/up"), LinkTarget::escapes);
    EXPECT_EQ(tree.resolve("root"), LinkTarget::escapes);
    EXPECT_EQ(tree.resolve("a/deep"), LinkTarget::escapes);
}

// Each link alone looks harmless written out; followed as the kernel does, they leave the tree.
TEST(LinkPolicy, ChainsOfLinksAreFollowed) {
    Tree tree;
    tree.link("b", ".").dir("sub").link("sub/a", "../b/..");
    EXPECT_EQ(tree.resolve("b"), LinkTarget::inside);
    EXPECT_EQ(tree.resolve("sub/a"), LinkTarget::escapes);
    Tree absolute;
    absolute.link("etc", "/etc").link("x", "etc/passwd");
    EXPECT_EQ(absolute.resolve("x"), LinkTarget::absolute);
    Tree deep;
    deep.dir("d").dir("d/e").link("d/e/up2", "../..").link("d/out", "e/up2/..");
    EXPECT_EQ(deep.resolve("d/e/up2"), LinkTarget::inside);
    EXPECT_EQ(deep.resolve("d/out"), LinkTarget::escapes);
    Tree past_missing;  // back from a name the tree does not hold, links are followed again
    past_missing.link("etc", "/etc").dir("d").link("d/x", "missing/../../etc/passwd");
    EXPECT_EQ(past_missing.resolve("d/x"), LinkTarget::absolute);
    Tree loop;
    loop.link("p", "q").link("q", "p");
    EXPECT_EQ(loop.resolve("p"), LinkTarget::loop);
}

}  // namespace
}  // namespace fleek::content
