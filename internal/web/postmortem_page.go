package web

// PostmortemSave is a revision of a postmortem to save through
// SavePostmortem: its Markdown and the revision the editor started from
// (0 for the draft). The incident's postmortem page builds it from its
// form, the API from its JSON body.
type PostmortemSave = postmortemSaveJSON
