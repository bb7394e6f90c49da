fn main() {
    let p = std::env::args().nth(1).unwrap();
    let s = std::fs::read_to_string(p).unwrap();
    match spikec::front::parse::parse(0, &s) {
        Ok(f) => println!("{:#?}", f.items.len()),
        Err(d) => println!("{:?}", d),
    }
}
