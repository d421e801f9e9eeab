# One helper that sets the language standard, warnings and visibility for every lumos target.
function(lumos_setup_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF CXX_VISIBILITY_PRESET hidden)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
endfunction()
