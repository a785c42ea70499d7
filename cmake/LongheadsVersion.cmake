# The library's ABI version (docs/ABI.md, "Library names and SONAME"): from 1.0 on the SONAME
# carries the major version (liblongheads.so.1); before 1.0 a minor version may change the ABI,
# so it carries major.minor (liblongheads.so.0.1). The CMake package accepts the same range.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(LONGHEADS_SOVERSION "0.${PROJECT_VERSION_MINOR}")
  set(LONGHEADS_COMPATIBILITY SameMinorVersion)
else()
  set(LONGHEADS_SOVERSION "${PROJECT_VERSION_MAJOR}")
  set(LONGHEADS_COMPATIBILITY SameMajorVersion)
endif()
