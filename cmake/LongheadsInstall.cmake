# Installing longheads as a library: headers, the shared library with its SONAME, the CMake
# package (find_package(longheads CONFIG) -> longheads::longheads), pkg-config's longheads.pc,
# and the CLI with an RPATH relative to itself so it runs from any prefix.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
include(LongheadsRpath)

set(LONGHEADS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/longheads CACHE STRING
    "Where the CMake package files are installed (relative to the prefix)")

install(TARGETS longheads EXPORT longheadsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/longheads DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT longheadsTargets NAMESPACE longheads:: DESTINATION ${LONGHEADS_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/longheadsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/longheadsConfig.cmake INSTALL_DESTINATION ${LONGHEADS_CMAKE_DIR})
# Same SONAME = compatible (cmake/LongheadsVersion.cmake, docs/ABI.md).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/longheadsConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${LONGHEADS_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/longheadsConfig.cmake ${PROJECT_BINARY_DIR}/longheadsConfigVersion.cmake
        DESTINATION ${LONGHEADS_CMAKE_DIR})

# pkg-config: the prefix relative to the .pc file itself, so the installed tree can be moved
# (`cmake --install --prefix P` into any P).
file(RELATIVE_PATH LONGHEADS_PC_TO_PREFIX "/lh_prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/lh_prefix")
string(REGEX REPLACE "/$" "" LONGHEADS_PC_TO_PREFIX "${LONGHEADS_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/longheads.pc.in ${PROJECT_BINARY_DIR}/longheads.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/longheads.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET longheads_cli)
  longheads_rpath_to_libdir(_lh_cli_rpath ${CMAKE_INSTALL_BINDIR})
  set_target_properties(longheads_cli PROPERTIES INSTALL_RPATH "${_lh_cli_rpath}")
  install(TARGETS longheads_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
