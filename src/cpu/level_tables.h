// The kernel table of each instruction-set level, built once: the generic level's fill first,
// then each higher level that runs on this CPU overriding the entries it implements (see
// attention/kernel_table.h). For the dispatch files; level files do not include this.
#pragma once

#include <cstdint>

#include "cpu/isa.h"

// A level file's fill function, or nullptr where the level files are not compiled (not x86-64).
#if defined(__x86_64__)
#define LH_LEVEL_FILL(fn) (fn)
#else
#define LH_LEVEL_FILL(fn) nullptr
#endif

namespace lh {
namespace cpu {

template <class Table> class LevelTables {
public:
    using Fill = void (*)(Table &);

    // fills[i]: what level i adds, or nullptr when it adds nothing to this table.
    explicit LevelTables(const Fill (&fills)[kIsaCount]) {
        Table t{};
        for (int32_t i = 0; i < kIsaCount; ++i) {
            // A level's fill() is compiled for that level: call it only where the level runs.
            if (!isa_runs_here(static_cast<Isa>(i))) break;
            if (fills[i] != nullptr) fills[i](t);
            at_[i] = t;
            runs_[i] = true;
        }
    }

    // nullptr for a level this CPU does not run.
    const Table *at(Isa isa) const {
        const int32_t i = static_cast<int32_t>(isa);
        return i >= 0 && i < kIsaCount && runs_[i] ? &at_[i] : nullptr;
    }
    Table *mutable_at(Isa isa) { return const_cast<Table *>(at(isa)); }

private:
    Table at_[kIsaCount] = {};
    bool runs_[kIsaCount] = {};
};

}  // namespace cpu
}  // namespace lh
