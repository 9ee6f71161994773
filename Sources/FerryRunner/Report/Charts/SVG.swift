import FerryCore

/// Builds one inline `<svg>` element: shapes in a fixed-size viewBox, numbers with one decimal,
/// text escaped. Charts are plain SVG, so the report reads without scripts.
struct SVG {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func number(_ value: Double) -> String {
        let text = Formatting.fixed(value, decimals: 1)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// A rectangle, with a tooltip when `title` is given.
    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, title: String? = nil, className: String? = nil) {
        body += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(max(width, 0.3)))\" "
            + "height=\"\(Self.number(max(height, 0)))\" fill=\"\(fill)\"" + (className.map { " class=\"\($0)\"" } ?? "")
        if let title { body += "><title>\(Markup.escape(title))</title></rect>" } else { body += "/>" }
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, dashed: Bool = false, width: Double = 1) {
        body += "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" "
            + "stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\"" + (dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>"
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, title: String? = nil) {
        let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        body += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.8\">"
            + (title.map { "<title>\(Markup.escape($0))</title>" } ?? "") + "</polyline>"
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ text: String, x: Double, y: Double, anchor: Anchor = .start, size: Int = 11, fill: String = "#333") {
        body += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor.rawValue)\" "
            + "fill=\"\(fill)\">\(Markup.escape(text))</text>"
    }

    /// A logarithmic time axis along x between `left` and `right`, with grid lines from `top` to
    /// `bottom` and the labelled ticks' values under it.
    mutating func timeAxisAlongX(_ scale: LogScale, left: Double, right: Double, top: Double, bottom: Double) {
        for tick in scale.ticks {
            let x = left + (right - left) * scale.fraction(tick.value)
            line(x1: x, y1: top, x2: x, y2: bottom, stroke: Palette.grid)
            // The first and last labels are kept inside the picture.
            let anchor: Anchor = x <= left ? .start : x >= right ? .end : .middle
            if tick.labelled { text(LogScale.label(tick.value), x: x, y: bottom + 16, anchor: anchor, fill: Palette.axis) }
        }
    }

    /// The element, with `label` as its accessible name and `kind` as its class (`chart-times`, ...).
    func render(label: String, kind: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(kind)\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
            + "width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" role=\"img\" aria-label=\"\(Markup.escape(label))\">"
            + body + "</svg>"
    }
}
