package fuzz

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDictionaryParses(t *testing.T) {
	toks := dictTokens(rulesDict)
	assert.GreaterOrEqual(t, len(toks), 20)
	assert.Contains(t, toks, []byte("\r\n"))
	assert.Contains(t, toks, []byte{0xed, 0xa0, 0x80})
	assert.Contains(t, toks, []byte("10001"))
}
