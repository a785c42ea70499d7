# $ORIGIN-relative RPATHs: an installed program or module finds liblongheads relative to itself,
# so the installed tree works under any prefix and can be moved.
include(GNUInstallDirs)

# out_var = the RPATH from the install directory from_dir (relative to the prefix) to the
# library directory.
function(longheads_rpath_to_libdir out_var from_dir)
  file(RELATIVE_PATH rel "/lh_prefix/${from_dir}" "/lh_prefix/${CMAKE_INSTALL_LIBDIR}")
  if(rel STREQUAL "")
    set(${out_var} "$ORIGIN" PARENT_SCOPE)
  else()
    set(${out_var} "$ORIGIN/${rel}" PARENT_SCOPE)
  endif()
endfunction()
