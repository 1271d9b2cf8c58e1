#include "edge/source_connection_budget.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

TEST(SourceConnectionBudgetTest, RefusesASourceAtItsMaximumAndNotTheOthers) {
    SourceConnectionBudget budget(2);
    EXPECT_TRUE(budget.try_acquire("192.0.2.7"));
    EXPECT_TRUE(budget.try_acquire("192.0.2.7"));
    EXPECT_FALSE(budget.try_acquire("192.0.2.7"));
    EXPECT_EQ(budget.held("192.0.2.7"), 2u);  // the refusal took nothing
    EXPECT_TRUE(budget.try_acquire("192.0.2.8"));
    EXPECT_EQ(budget.held("192.0.2.8"), 1u);
}

TEST(SourceConnectionBudgetTest, AReleasedUnitCanBeTakenAgain) {
    SourceConnectionBudget budget(1);
    ASSERT_TRUE(budget.try_acquire("v6:20010db800000000::/64"));
    EXPECT_FALSE(budget.try_acquire("v6:20010db800000000::/64"));
    budget.release("v6:20010db800000000::/64");
    EXPECT_EQ(budget.held("v6:20010db800000000::/64"), 0u);
    EXPECT_TRUE(budget.try_acquire("v6:20010db800000000::/64"));
}

TEST(SourceConnectionBudgetTest, AZeroMaximumRefusesEveryone) {
    SourceConnectionBudget budget(0);
    EXPECT_FALSE(budget.try_acquire("192.0.2.7"));
    EXPECT_EQ(budget.held("192.0.2.7"), 0u);
}

}  // namespace
}  // namespace fleek::edge
