// Package contract reads a boundary's contract file: the ownership table that says, beside a C
// header, what C cannot — who allocates and frees each type, which threads may touch it, each
// parameter's role, which status every broken precondition must produce. seam derives its ABI
// check, fuzz targets, stress operations and thread checks from a Contract and the header's
// cheader model; nothing in seam is written per boundary.
//
// The file is YAML (see native/tally/contract.yaml for a worked example). Every map keeps the
// order it was written in (the first engine is the differential's reference, functions are
// listed in the order a reviewer reads them), and every value remembers its line so a problem
// is reported as "file:line: ...".
package contract

// Contract is one boundary's contract file.
type Contract struct {
	Path     string // the contract file, absolute
	Dir      string // its directory; relative paths in the file are relative to it
	Boundary string // the boundary's name: reports and the corpus are keyed by it
	Header   string // the C header, absolute

	// Engines are the libraries behind the header, the reference first. Each path is a pattern
	// in which {variant} is the build variant (debug, asan, tsan, release, cov, ...).
	Engines []Engine
	// Mutants is the pattern of seeded-bug builds ({variant}, {name}); empty when there are none.
	Mutants string
	// Build is the shell command that builds every engine and variant (run in Dir); optional.
	Build string

	// Statuses maps seam's status names to the header's constants, in the order written. The
	// names ok, busy and internal mean something to seam: success, "refused because another
	// thread holds the handle" (exclusive claims), and an engine failure never caused by input.
	Statuses []Status
	// Broken is the status every broken precondition produces unless the parameter says
	// otherwise; empty when each parameter must say.
	Broken string
	// LastError names the per-thread last-error function (a (buf, cap) -> full length copier),
	// empty when the boundary has none.
	LastError string
	ABI       ABI

	Types      []*Type
	Functions  []*Function
	Properties []*Property
	// Skipped are header functions the contract leaves out on purpose, each with the reason
	// (a debug hook, a function only another tool calls): seam never calls them.
	Skipped []Skip

	Line int // line of the boundary key
}

// Skip is a header function left out of the contract, and why.
type Skip struct {
	Func, Why string
	Line      int
}

// Engine is one implementation of the boundary.
type Engine struct {
	Name    string // cpp, rust, ...
	Library string // path pattern with {variant}
	Line    int
}

// Status is one named status and the header constant that holds its value.
type Status struct {
	Name  string // ok, bad_input, busy, ...
	Const string // SEAM_OK, TALLY_EINVAL, ...
	Line  int
}

// ABI names the boundary's own version and layout functions, where it has them. The layout
// check from DWARF runs whether or not they exist.
type ABI struct {
	Version string // a function returning the ABI version the engine was built with
	Expect  string // the header constant it must equal
	Layout  string // a function filling a layout struct (the boundary's own layout check)
	// LayoutFields says what each field of the layout struct holds, in the header's terms:
	// sizeof(T), alignof(T) or offsetof(T, field).
	LayoutFields []LayoutField
	Line         int
}

// LayoutField is one field of a layout struct and the expression it must equal.
type LayoutField struct {
	Field string
	What  string // sizeof, alignof, offsetof
	Type  string
	Of    string // offsetof's field
	Line  int
}

// Thread claims, for types and functions.
const (
	ThreadsAny       = "any"         // no state: callable from any thread at any time
	ThreadsSafe      = "thread-safe" // concurrent calls on one shared handle are correct
	ThreadsExclusive = "exclusive"   // concurrent use of one handle returns busy and changes nothing
	ThreadsPerThread = "per-thread"  // thread-local state: each thread sees only its own
	ThreadsNone      = "none"        // not thread-safe: seam never shares one handle between threads
)

// ThreadClaims lists the claims in the order of their strength.
var ThreadClaims = []string{ThreadsAny, ThreadsSafe, ThreadsExclusive, ThreadsPerThread, ThreadsNone}

// Type kinds.
const (
	KindHandle = "handle" // an opaque object made and destroyed by named functions
	KindStruct = "struct" // a struct the caller fills or the engine fills
	KindArray  = "array"  // a callee-allocated array of structs, freed with its own function
	KindBytes  = "bytes"  // a callee-allocated byte buffer, freed with its own function
)

// Type is one row of the ownership table.
type Type struct {
	Name        string // the C name (struct tag or typedef)
	Kind        string // handle, struct, array, bytes
	AllocatedBy string // the function that makes it
	FreedBy     Call   // the function that frees it, with its arguments
	FilledBy    []string
	Owner       string // caller or engine: who owns it once made
	ValidUntil  string // "freed_by", "call", or a function name that invalidates it
	Threads     string // its thread claim
	NullFree    bool   // the free function accepts NULL
	Line        int
}

// Call is a function named with the parameters it takes, as in "seam_bytes_free(out, out_len)":
// the arguments name parameters of the function that produced the value.
type Call struct {
	Func string
	Args []string
}

// Returns kinds: what a function's return value is.
const (
	ReturnVoid   = "void"
	ReturnStatus = "status" // one of the statuses
	ReturnValue  = "value"  // an integer result that is not a status (a checksum, a length)
	ReturnString = "string" // a static NUL-terminated string, never freed
)

// Function is one exported function.
type Function struct {
	Name    string
	Threads string
	Returns Return
	// Statuses lists what the function may return; anything else is a finding.
	Statuses []string
	// Broken overrides the contract's Broken for this function.
	Broken string
	Params []*Param
	// Weight is its default share of stress operations (0: the default weight).
	Weight int
	Line   int
}

// Return describes the return value.
type Return struct {
	Kind string // void, status, value, string
	// EngineSpecific marks an output two correct engines may legitimately differ in (a version
	// string): the differential does not compare it.
	EngineSpecific bool
	Line           int
}

// Parameter roles.
const (
	RoleHandle      = "handle"       // T *: a handle of a contract type
	RoleHandleOut   = "handle_out"   // T **: the function makes a handle and stores it
	RoleBytes       = "bytes"        // const uint8_t * with a length parameter
	RoleString      = "string"       // const char *, NUL-terminated (the caller guarantees the NUL)
	RoleStruct      = "struct"       // const T *: an input struct
	RoleOutStruct   = "out_struct"   // T *: a struct the engine fills
	RoleOutBuffer   = "out_buffer"   // uint8_t * with a capacity parameter (and usually a needed one)
	RoleOutSize     = "out_size"     // size_t *: the bytes an out_buffer needs
	RoleCalleeAlloc = "callee_alloc" // T **: the engine allocates, the caller frees with freed_by
	RoleOutInt      = "out_int"      // an integer the engine stores through a pointer
	RoleInt         = "int"          // an integer by value, with a range, an enum or a flags mask
	RoleLength      = "length"       // the length, capacity or count of another parameter
)

// Preconditions a role can break, each mapped to the status it must produce. The value "ok"
// means the case is allowed (NULL is fine), "caller" that the caller guarantees it and seam
// never generates it.
const (
	PreNull        = "null"          // the pointer is NULL
	PreNullWithLen = "null_with_len" // NULL with a non-zero length or capacity
	PreOverMax     = "over_max"      // one past the maximum length or value
	PreBelowMin    = "below_min"     // one below an integer's minimum
	PreEmpty       = "empty"         // a zero-length string or buffer
	PreInvalidUTF8 = "invalid_utf8"  // not UTF-8 where encoding is utf8
	PreWrongSize   = "wrong_size"    // a struct's size field not sizeof the struct
	PreInvalidEnum = "invalid_enum"  // an integer that is no enum value
	PreUnknownFlag = "unknown_flag"  // a bit outside the flags mask
	PreTooSmall    = "too_small"     // an output capacity below what is needed
)

// Special precondition outcomes.
const (
	Allowed         = "ok"
	CallerGuarantee = "caller"
)

// On-error rules for outputs.
const (
	OnErrorUnspecified = "unspecified" // anything may be left there
	OnErrorUntouched   = "untouched"   // the engine writes nothing
	OnErrorZero        = "zero"        // set to zero / NULL (with its length 0)
)

// Param is one parameter of a function, or one field of a struct parameter.
type Param struct {
	Name string
	Role string
	// Of is the contract or C type the role refers to: the handle type of handle and handle_out,
	// the struct of struct and out_struct, the element type of a callee_alloc array.
	Of string
	// Len is the companion parameter (or field) holding the length of bytes, the capacity of an
	// out_buffer, the length or count of a callee_alloc output; for length and out_size, the
	// parameter it measures.
	Len       string
	Needed    string    // out_buffer: its out_size parameter
	Max       string    // maximum length (a constant or a number)
	Encoding  string    // string and bytes: utf8 or raw
	Range     [2]string // int: inclusive bounds, constants or numbers
	Enum      []string  // int: the allowed values, constants or numbers
	Flags     string    // int: the mask of allowed bits
	SizeField string    // struct and out_struct: the field that holds sizeof the struct
	Fields    []*Param  // struct: the roles of its fields
	FreedBy   Call      // callee_alloc: how the caller frees it
	OnError   string    // outputs: what the engine leaves on error
	// AlwaysSet says an out_size is set on every call, errors too, when it is not NULL.
	AlwaysSet bool
	// EngineSpecific marks an output the differential does not compare.
	EngineSpecific bool
	// Examples are valid values of a bytes or string parameter (rules text, a token) that
	// random bytes would almost never hit: stress fills its shared handles with them, so the
	// calls on those handles get past "nothing loaded".
	Examples []string
	// Pre maps each precondition this parameter can break to its status ("ok", "caller", or a
	// status name); a missing one falls back to the function's or contract's Broken.
	Pre  map[string]string
	Line int
}

// Property kinds: what a contract cannot say with roles.
const (
	PropRoundTrip  = "round_trip" // output of From fed into Into gives the input back
	PropIdempotent = "idempotent" // calling Func twice is the same as once
)

// Property is a named property the fuzzer checks.
type Property struct {
	Kind string
	From string // round_trip: FUNC.PARAM of the output
	Into string // round_trip: FUNC.PARAM of the input it is fed to
	Same string // round_trip: the function whose output must come back the same
	Func string // idempotent
	Line int
}

// Type returns the named type, or nil.
func (c *Contract) Type(name string) *Type {
	for _, t := range c.Types {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Skips reports whether the contract leaves fn out on purpose.
func (c *Contract) Skips(fn string) bool {
	for _, s := range c.Skipped {
		if s.Func == fn {
			return true
		}
	}
	return false
}

// Function returns the named function, or nil.
func (c *Contract) Function(name string) *Function {
	for _, f := range c.Functions {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// StatusConst returns the header constant of a status name.
func (c *Contract) StatusConst(name string) (string, bool) {
	for _, s := range c.Statuses {
		if s.Name == name {
			return s.Const, true
		}
	}
	return "", false
}

// Param returns the named parameter, or nil.
func (f *Function) Param(name string) *Param {
	for _, p := range f.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Field returns the named field of a struct parameter, or nil.
func (p *Param) Field(name string) *Param {
	for _, f := range p.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Status returns the status a broken precondition of p must produce in f: p's own rule, else the
// function's Broken, else the contract's. The empty string means nobody said.
func (c *Contract) Status(f *Function, p *Param, pre string) string {
	if s, ok := p.Pre[pre]; ok {
		return s
	}
	if f.Broken != "" {
		return f.Broken
	}
	return c.Broken
}
