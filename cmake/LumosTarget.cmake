# One helper that sets the language standard, warnings and visibility for every lumos target.
function(lumos_setup_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF CXX_VISIBILITY_PRESET hidden)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(LUMOS_WERROR)
    # -Wrestrict stays a warning: gcc 12 reports it falsely inside std::string at -O2 (GCC bug
    # 105329, seen here in tests/integration/env_test.cpp and tests/unit/io_view_test.cpp).
    target_compile_options(${target} PRIVATE -Werror $<$<CXX_COMPILER_ID:GNU>:-Wno-error=restrict>)
  endif()
endfunction()
