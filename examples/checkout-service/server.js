// The entry named in the perfsop README's sample config ("node examples/checkout-service/server.js").
import './server.mjs';
