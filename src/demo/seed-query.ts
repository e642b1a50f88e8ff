/**
 * The demo's seed query: GraphiQL opens with it, and the tests and the benchmark run it. Data from three
 * backends in one request: orders (gRPC), inventory and logistics (REST).
 */
export const SEED_QUERY = `# Data from three backends in one request: orders (gRPC), inventory and logistics (REST).
{
  order(id: "1") {
    id
    customerId
    products { id name price stock }
    shipment { status carrier eta }
  }
}
`;
