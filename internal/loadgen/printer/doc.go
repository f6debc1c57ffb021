// Package printer writes a bench report for people (WriteText: aligned
// tables and notes for a terminal) and for machines (WriteJSON, the
// contract documented in the README). It lays out and formats figures the
// report package computed; it computes none.
package printer
