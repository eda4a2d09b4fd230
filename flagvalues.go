package main

import (
	"strconv"
	"strings"
	"time"
)

// The flag.Value types behind flagTable: each constructor stores the
// default in the option it binds, so the table holds a flag in one line.

type stringValue string

func stringVal(p *string, def string) *stringValue { *p = def; return (*stringValue)(p) }
func (v *stringValue) String() string              { return string(*v) }
func (v *stringValue) Set(s string) error          { *v = stringValue(s); return nil }

type boolValue bool

func boolVal(p *bool, def bool) *boolValue { *p = def; return (*boolValue)(p) }
func (v *boolValue) String() string        { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool      { return true }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errNotBool
	}
	*v = boolValue(b)
	return nil
}

type intValue int

func intVal(p *int, def int) *intValue { *p = def; return (*intValue)(p) }
func (v *intValue) String() string     { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errNotInt
	}
	*v = intValue(n)
	return nil
}

type floatValue float64

func floatVal(p *float64, def float64) *floatValue { *p = def; return (*floatValue)(p) }
func (v *floatValue) String() string               { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }
func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errNotNumber
	}
	*v = floatValue(f)
	return nil
}

type durationValue time.Duration

func durationVal(p *time.Duration, def time.Duration) *durationValue {
	*p = def
	return (*durationValue)(p)
}
func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errNotDuration
	}
	*v = durationValue(d)
	return nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
