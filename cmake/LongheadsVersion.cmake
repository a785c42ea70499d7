# The library's ABI version (docs/ABI.md, "Library names and SONAME"): the SONAME carries the
# major version (liblongheads.so.0, .so.1, ...). Minor versions only append (functions, enum
# values, struct fields behind struct_size; tests/abi keeps a 0.1.0 program working), so a
# program linked against an older minor version loads a newer library. The CMake package
# accepts any version of the same major version at least as new as the one requested.
set(LONGHEADS_SOVERSION "${PROJECT_VERSION_MAJOR}")
set(LONGHEADS_COMPATIBILITY SameMajorVersion)
