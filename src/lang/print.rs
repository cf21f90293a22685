//! The canonical text of an expression: one spelling per meaning, so formatting, comments
//! and redundant parentheses never change a definition's hash and every number is written
//! in its shortest round-trip form (`2`, `2.0` and `2e0` are one).

use super::syntax::{Expr, Node, UnaryOp};

pub(super) fn canonical(node: &Node) -> String {
    let mut out = String::new();
    write(node, &mut out);
    out
}

/// Every operator's operands in parentheses: unambiguous without precedence rules.
fn write(node: &Node, out: &mut String) {
    match &node.expr {
        Expr::Number(n) => out.push_str(ryu_js::Buffer::new().format(*n)),
        Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Expr::Name(name) => out.push_str(name),
        Expr::Unary(op, operand) => {
            out.push_str(match op {
                UnaryOp::Neg => "(-",
                UnaryOp::Not => "(not ",
            });
            write(operand, out);
            out.push(')');
        }
        Expr::Binary(op, a, b) => {
            out.push('(');
            write(a, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write(b, out);
            out.push(')');
        }
        Expr::Call(name, _, args) => {
            out.push_str(name);
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(arg, out);
            }
            out.push(')');
        }
        Expr::Index(base, index) => {
            write(base, out);
            out.push('[');
            write(index, out);
            out.push(']');
        }
        Expr::Field(base, field) => {
            write(base, out);
            out.push('.');
            out.push_str(field);
        }
        Expr::At(base, timeframe) => {
            write(base, out);
            out.push('@');
            out.push_str(timeframe.as_str());
        }
    }
}
