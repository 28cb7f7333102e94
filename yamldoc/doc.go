// Package yamldoc splits a file of YAML or JSON documents the way kubectl
// reads one: documents are separated by lines that are exactly "---"
// (trailing blanks allowed), a document holding only blanks and comments is
// empty, and a document that starts with "{" is a stream of JSON values
// (several objects may follow each other). It is the one multi-document
// reader of the project: package manifest decodes API objects with it,
// package credential Secret files. It knows nothing of Kubernetes kinds.
//
// Errors name the line in the source: "error converting YAML to JSON:
// yaml: line 7: ..." or "invalid JSON at line 3: ...". They quote no
// document content beyond what the YAML and JSON parsers print.
package yamldoc
