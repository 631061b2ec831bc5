package picture

// FixALPH lets the tests repair the ALPH chunks deepteams/webp writes when
// they assemble animated WebPs from its still pictures.
var FixALPH = fixALPH
