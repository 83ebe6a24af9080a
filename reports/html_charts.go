package reports

// The charts are inline SVG drawn here, so the page needs no chart library
// and shows them with its script disabled. Geometry is in SVG user units.
const (
	chartLabelW = 110 // room for the category labels
	chartBarW   = 320 // the longest bar
	chartRowH   = 22
	chartBarH   = 16
)

// htmlBarChart is a horizontal bar chart: one bar per category.
type htmlBarChart struct {
	Width, Height int
	Bars          []htmlBar
}

type htmlBar struct {
	Label, Class string
	Count        int
	Y, TextY     int
	W            int // bar length; at least 1 for a non-zero count, so it shows
	ValueX       int // where the count is written
}

func barLength(n, most, full int) int {
	if n <= 0 || most <= 0 {
		return 0
	}
	return max(1, n*full/most)
}

// barChart draws counts[i] for labels[i]; class is the CSS class prefix that
// colours a bar by its label (e.g. "s-" + "inactive").
func barChart(labels []string, counts []int, class string) htmlBarChart {
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	c := htmlBarChart{Width: chartLabelW + chartBarW + 60, Height: len(labels)*chartRowH + 4}
	for i, l := range labels {
		w := barLength(counts[i], most, chartBarW)
		y := i*chartRowH + 2
		c.Bars = append(c.Bars, htmlBar{
			Label: l, Class: class + cssName(l), Count: counts[i],
			Y: y, TextY: y + chartBarH - 3, W: w, ValueX: chartLabelW + w + 6,
		})
	}
	return c
}

// htmlStackChart is one stacked bar per account, split by status.
type htmlStackChart struct {
	Width, Height int
	Rows          []htmlStackRow
}

type htmlStackRow struct {
	AccountID string
	Users     int
	Y, TextY  int
	ValueX    int
	Segments  []htmlSegment
}

type htmlSegment struct {
	Status, Class string
	Count         int
	X, W          int
}

func accountChart(accounts []htmlAccountCounts) htmlStackChart {
	most := 0
	for _, a := range accounts {
		most = max(most, a.Users)
	}
	c := htmlStackChart{Width: chartLabelW + chartBarW + 60, Height: len(accounts)*chartRowH + 4}
	for i, a := range accounts {
		y := i*chartRowH + 2
		row := htmlStackRow{AccountID: a.AccountID, Users: a.Users, Y: y, TextY: y + chartBarH - 3}
		// Segment ends are placed on the cumulative count, so rounding never
		// makes the stack longer than its account's bar.
		sum, x := 0, chartLabelW
		for j, s := range Statuses {
			n := a.Statuses[j]
			if n == 0 {
				continue
			}
			sum += n
			end := chartLabelW + barLength(sum, most, chartBarW)
			row.Segments = append(row.Segments, htmlSegment{Status: s, Class: "s-" + cssName(s), Count: n, X: x, W: max(0, end-x)})
			x = end
		}
		row.ValueX = x + 6
		c.Rows = append(c.Rows, row)
	}
	return c
}

// cssName turns a status or decision into a class name: letters and digits
// kept, anything else a hyphen ("never_used" stays, "never used" becomes
// "never-used").
func cssName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			b[i] = '-'
		}
	}
	return string(b)
}
